import Baseplate
@testable import BaseplateServe
import Foundation
import Logging
import Testing

/// The JSON log line: baseplate.py's fields, and `traceID` while a request is handled.
@Suite struct LogFormatTests {
    func event(_ message: String) -> LogEvent {
        LogEvent(level: .warning, message: "\(message)", metadata: ["k": "v"], source: "Mod",
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
        let line = RequestContext.$current.withValue(upstream) { handler.format(event("in request")) }
        #expect(try decode(line)["traceID"] as? String == "1234")
        let local = RequestContext(method: "m", localTraceID: 987_654_321)
        let own = RequestContext.$current.withValue(local) { handler.format(event("no upstream")) }
        #expect(try decode(own)["traceID"] as? String == "987654321")
    }
}
