import Baseplate
@testable import BaseplateServe
import Foundation
import Logging
import Testing

/// The JSON log line: baseplate.py's fields, and `traceID` while a request is handled.
@Suite struct LogFormatTests {
    /// An event as a request's logger emits it: its metadata carries the traceID.
    func event(_ message: String, metadata traceID: Logger.Metadata.Value? = nil) -> LogEvent {
        var metadata: Logger.Metadata = ["k": "v"]
        if let traceID { metadata["traceID"] = traceID }
        return LogEvent(level: .warning, message: "\(message)", metadata: metadata, source: "Mod",
                        file: "Mod/File.swift", function: "f()", line: 7)
    }

    func decode(_ line: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func fieldsAsBaseplatePy() throws {
        let line = BaseplateLogHandler(label: "baseplate.server", logLevel: .info, json: true).format(event("hi \"there\""))
        let object = try decode(line)
        #expect(object["level"] as? String == "WARNING")
        #expect(object["message"] as? String == "hi \"there\"")
        #expect(object["name"] as? String == "baseplate.server")
        #expect(object["lineno"] as? Int == 7)
        #expect(object["funcName"] as? String == "f()")
        #expect(object["process"] as? Int == Int(ProcessInfo.processInfo.processIdentifier))
        #expect(object["k"] as? String == "v")
        #expect(object["traceID"] == nil)
    }

    @Test func plainOnATerminal() {
        let line = BaseplateLogHandler(label: "x", logLevel: .info, json: false).plain(event("hello"))
        #expect(line == "WARNING  hello k=v")
    }

    @Test func traceIDInsideARequest() throws {
        let handler = BaseplateLogHandler(label: "x", logLevel: .info, json: true)
        let upstream = RequestContext(method: "m", headers: ThriftHeaders([("trace", Array("1234".utf8))]))
        let line = handler.format(event("in request", metadata: upstream.logger[metadataKey: "traceID"]))
        #expect(try decode(line)["traceID"] as? String == "1234")
        let local = RequestContext(method: "m", localTraceID: 987_654_321)
        let own = handler.format(event("no upstream", metadata: local.logger[metadataKey: "traceID"]))
        #expect(try decode(own)["traceID"] as? String == "987654321")
    }
}
