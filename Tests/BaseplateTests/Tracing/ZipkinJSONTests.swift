import Testing
import TestSupport
@testable import Baseplate

/// Zipkin span JSON against vectors from baseplate.py 2.7.0 (`json.dumps(observer._serialize())`
/// of its TraceServerSpanObserver / TraceSpanObserver / TraceLocalSpanObserver with the clock
/// fixed), and Python's `str(float)`.
struct ZipkinJSONTests {
    static let endpoint = ZipkinEndpoint(serviceName: "svc", ipv4: "10.0.0.1")
    static let ep = #"{"serviceName": "svc", "ipv4": "10.0.0.1"}"#

    static func binary(_ key: String, _ value: String, _ ep: String = ep) -> String {
        #"{"key": "\#(key)", "value": \#(value), "endpoint": \#(ep)}"#
    }

    /// Server span, debug flag, timed out: tag kinds, escapes, counters, annotation order.
    static let serverVector = #"{"traceId": "1234", "name": "example", "id": "3456", "timestamp": 1700000000000000, "duration": 1234, "annotations": [{"endpoint": "# + ep + #", "timestamp": 1700000000000000, "value": "sr"}, {"endpoint": "# + ep + #", "timestamp": 1700000000001234, "value": "ss"}], "binaryAnnotations": ["# + [
        binary("component", #""baseplate""#), binary("protocol", #""thrift""#), binary("success", #""false""#),
        binary("n", #""5""#), binary("x", #""2.5""#), binary("uni", #""\u00e9\"\\\n\u007f\ud83d\ude00""#),
        binary("timed_out", #""true""#), binary("error", #""true""#), binary("debug", #""true""#),
        binary("counter.hits", #""8.0""#), binary("counter.other", #""1.0""#),
    ].joined(separator: ", ") + #"], "parentId": "2345"}"#

    static let clientVector = #"{"traceId": "1234", "name": "client.call", "id": "999", "timestamp": 1700000000000100, "duration": 100, "annotations": [{"endpoint": "# + ep + #", "timestamp": 1700000000000100, "value": "cs"}, {"endpoint": "# + ep + #", "timestamp": 1700000000000200, "value": "cr"}], "binaryAnnotations": ["# + binary("component", #""baseplate""#) + ", " + binary("error", #""true""#) + #"], "parentId": "3456"}"#

    static let undefinedEp = #"{"serviceName": "svc", "ipv4": "undefined"}"#
    static let localVector = #"{"traceId": "77", "name": "local", "id": "77", "timestamp": 5, "duration": 4, "annotations": [], "binaryAnnotations": ["# + binary("component", #""baseplate""#, undefinedEp) + ", " + binary("lc", #""comp""#, undefinedEp) + #"], "parentId": 0}"#

    @Test func serverSpanThroughTheObserver() throws {
        let sink = CollectingSink()
        let tracer = TraceObserver.forTests(sink: sink, sampleRate: 0)
        let span = ServerSpan(
            traceInfo: TraceInfo(traceID: "1234", parentID: "2345", spanID: "3456", sampled: true, flags: 1),
            name: "example", context: nil)
        tracer.onServerSpanCreated(context: RequestContext(method: "example"), serverSpan: span)
        span.setTag("protocol", "thrift")
        span.setTag("success", false)
        span.setTag("n", 5)
        span.setTag("x", .double(2.5))
        span.setTag("uni", "é\"\\\n\u{7F}😀")
        span.start()
        span.incrTag("hits", 3)
        span.incrTag("hits", 5)
        span.incrTag("other")
        span.finish(error: ServerTimeout(spanName: "example", timeout: .seconds(1)))
        var recorded = try #require(sink.take(from: tracer.recorder).first)
        #expect(recorded.end >= recorded.start && recorded.start > 1_600_000_000_000_000)
        recorded.start = 1_700_000_000_000_000
        recorded.end = 1_700_000_000_001_234
        #expect(String(decoding: recorded.json(endpoint: Self.endpoint), as: UTF8.self) == Self.serverVector)
    }

    @Test func clientSpanJSON() {
        let span = ZipkinSpan(
            traceID: "1234", name: "client.call", id: "999", parentID: "3456", kind: .client,
            start: 1_700_000_000_000_100, end: 1_700_000_000_000_200,
            binaryAnnotations: [.init(key: "component", value: "baseplate"), .init(key: "error", value: "true")])
        #expect(String(decoding: span.json(endpoint: Self.endpoint), as: UTF8.self) == Self.clientVector)
    }

    @Test func localRootSpanJSON() {
        let span = ZipkinSpan(
            traceID: "77", name: "local", id: "77", parentID: nil, kind: .local, start: 5, end: 9,
            binaryAnnotations: [.init(key: "component", value: "baseplate"), .init(key: "lc", value: "comp")])
        let endpoint = ZipkinEndpoint(serviceName: "svc", ipv4: "undefined")
        #expect(String(decoding: span.json(endpoint: endpoint), as: UTF8.self) == Self.localVector)
        // An empty parent id is a root too (Python's `parent_id or 0`).
        var empty = span
        empty.parent = .text("")
        #expect(String(decoding: empty.json(endpoint: endpoint), as: UTF8.self).hasSuffix(#""parentId": 0}"#))
        // Ids that are not canonical decimals stay text, escaped as any string.
        var text = span
        (text.trace, text.identifier, text.parent) = (SpanIdentifier("007"), SpanIdentifier("a\"b"), SpanIdentifier("x"))
        let json = String(decoding: text.json(endpoint: endpoint), as: UTF8.self)
        #expect(json.hasPrefix(#"{"traceId": "007", "name": "local", "id": "a\"b""#) && json.hasSuffix(#""parentId": "x"}"#))
        #expect(text.traceID == "007" && text.id == "a\"b" && text.parentID == "x")
    }

    @Test func childSpansThroughTheObserver() throws {
        let sink = CollectingSink()
        let tracer = TraceObserver.forTests(sink: sink, sampleRate: 0)
        let server = ServerSpan(
            traceInfo: TraceInfo(traceID: "1", parentID: nil, spanID: "1", sampled: true, flags: nil),
            name: "m", context: nil)
        tracer.onServerSpanCreated(context: RequestContext(method: "m"), serverSpan: server)
        server.start()
        let local = server.makeChild("work", local: true, componentName: "comp")
        local.start()
        let client = local.makeChild("backend.get")
        client.start()
        let grandchild = client.makeChild("not traced")  // baseplate.py's client observer does not follow children
        #expect(grandchild.observers.isEmpty)
        client.setTag("k", .int(7))
        client.finish()
        local.finish(error: Boom())
        server.finish()
        let spans = sink.take(from: tracer.recorder)
        try #require(spans.count == 3)
        #expect(spans.map(\.name) == ["backend.get", "work", "m"])
        #expect(spans.map(\.kind) == [.client, .local, .server])
        #expect(spans[0].parentID == local.id && spans[1].parentID == "1" && spans[2].parentID == nil)
        #expect(spans.allSatisfy { $0.traceID == "1" })
        #expect(spans[0].binaryAnnotations == [.init(key: "component", value: "baseplate"), .init(key: "k", value: "7")])
        #expect(spans[1].binaryAnnotations == [
            .init(key: "component", value: "baseplate"), .init(key: "lc", value: "comp"), .init(key: "error", value: "true"),
        ])
        // A plain error is no timeout.
        #expect(!spans[1].binaryAnnotations.contains { $0.key == "timed_out" })
    }

    @Test func pythonFloatStr() {
        let cases: [(Double, String)] = [
            (8.0, "8.0"), (1.0, "1.0"), (0.5, "0.5"), (0.1, "0.1"), (1e16, "1e+16"), (1e15, "1000000000000000.0"),
            (1234567890123456.0, "1234567890123456.0"), (12345678901234567.0, "1.2345678901234568e+16"),
            (1e-4, "0.0001"), (1e-5, "1e-05"), (0.00012345, "0.00012345"), (1.5e300, "1.5e+300"),
            (Double.leastNonzeroMagnitude, "5e-324"), (-2.5, "-2.5"), (123.456, "123.456"), (1e22, "1e+22"),
            (9007199254740993.0, "9007199254740992.0"), (1.0 / 3.0, "0.3333333333333333"), (100.0, "100.0"),
            (1e-7, "1e-07"), (123456789.0, "123456789.0"), (0.0, "0.0"), (-0.0, "-0.0"),
            (.infinity, "inf"), (-.infinity, "-inf"), (.nan, "nan"),
        ]
        for (value, python) in cases {
            #expect(PythonFloat.repr(value) == python, "\(value)")
        }
    }

    @Test func jsonArrayForTheCollector() {
        let a = ZipkinSpan(traceID: "1", name: "a", id: "1", parentID: nil, kind: .local, start: 1, end: 2, binaryAnnotations: [])
        var b = a
        b.name = "b"
        let text = String(decoding: zipkinJSONArray([a, b], endpoint: Self.endpoint), as: UTF8.self)
        let one = String(decoding: a.json(endpoint: Self.endpoint), as: UTF8.self)
        let two = String(decoding: b.json(endpoint: Self.endpoint), as: UTF8.self)
        #expect(text == "[" + one + ", " + two + "]")
        #expect(String(decoding: zipkinJSONArray([ZipkinSpan](), endpoint: Self.endpoint), as: UTF8.self) == "[]")
    }
}

/// Collects what a recorder flushes, on the test's thread.
final class CollectingSink: SpanSink, @unchecked Sendable {
    var spans: [ZipkinSpan] = []
    var batches: [Int] = []
    var maxBatch: Int { 3 }
    func flush(_ spans: ArraySlice<ZipkinSpan>) {
        batches.append(spans.count)
        self.spans += spans
    }

    func take(from recorder: SpanRecorder) -> [ZipkinSpan] {
        var scratch: [ZipkinSpan] = []
        recorder.flushPending(&scratch)
        defer { spans = [] }
        return spans
    }
}

extension TraceObserver {
    /// An observer whose recorder has no thread: tests flush it themselves.
    static func forTests(sink: CollectingSink, sampleRate: Double, capacity: Int = 1000) -> TraceObserver {
        let recorder = SpanRecorder(sink: sink, capacity: capacity, interval: .milliseconds(10),
                                    logger: .init(label: "test"))
        return TraceObserver(serviceName: "svc", sampleRate: sampleRate, hostname: "10.0.0.1", recorder: recorder)
    }
}

struct Boom: Error {}

/// Strings as Python's `json.dumps` writes them (ensure_ascii), checked against python3 itself.
struct PythonJSONStringTests {
    static let strings = [
        "", "plain ascii", "é", "€", "😀", "\u{1}\u{1F}\u{7F}\t\n\r\u{8}\u{C}\"\\/", "mixed é, € and 😀 in ascii",
        "\u{FFFF}\u{10000}\u{10FFFF}\u{80}\u{7FF}\u{800}", String(repeating: "long-ascii.", count: 40) + "é",
    ] + edgeStrings

    /// One character at each place of 17 bytes (plain ASCII is checked eight bytes at a time):
    /// those that must be escaped, and the printable ones at the edges that must not.
    static let edgeStrings: [String] = {
        let specials: [String] = ["\u{0}", "\u{1F}", " ", "~", "\u{7F}", "\"", "\\", "é"]
        let base = Array("abcdefghijklmnopq")
        var out: [String] = []
        for c in specials {
            for i in 0..<base.count {
                var chars = base.map(String.init)
                chars[i] = c
                out.append(chars.joined())
            }
        }
        return out
    }()

    /// The eight-bytes-at-a-time test agrees with the byte by byte one for every byte value,
    /// wherever it sits.
    @Test func plainTestAgreesByteByByte() {
        for byte in UInt8.min...UInt8.max {
            for at in 0..<17 {
                var bytes = Array(repeating: UInt8(ascii: "a"), count: 17)
                bytes[at] = byte
                let expected = byte >= 0x20 && byte < 0x7F && byte != 0x22 && byte != 0x5C
                #expect(bytes.withUnsafeBufferPointer { PythonJSONWriter.isPlain($0) } == expected, "byte \(byte) at \(at)")
            }
        }
    }

    @Test func stringsMatchPython() throws {
        // The strings go to Python as code points, so nothing of ours encodes them on the way.
        let codePoints = Self.strings.map { "[" + $0.unicodeScalars.map { String($0.value) }.joined(separator: ",") + "]" }
        let expected = try Python3.run(
            "import json,sys\nfor cps in json.loads(sys.argv[1]): print(json.dumps(''.join(map(chr, cps))))",
            ["[" + codePoints.joined(separator: ",") + "]"])
        let ours = Self.strings.map { s -> String in
            var w = PythonJSONWriter()
            w.string(s)
            return String(decoding: w.bytes, as: UTF8.self)
        }
        #expect(ours.joined(separator: "\n") + "\n" == expected)
    }

    @Test(arguments: [Int64.min, -1, 0, 7, 1_000_000, Int64.max])
    func integersMatchPython(_ value: Int64) {
        var w = PythonJSONWriter()
        w.int(value)
        #expect(String(decoding: w.bytes, as: UTF8.self) == String(value))
    }
}

/// The recorder's thread pauses between the sink's batches of one flush, so that a loop
/// sharing its CPU never waits for a whole backlog at once.
struct SpanRecorderPacingTests {
    final class TimingSink: SpanSink, @unchecked Sendable {
        var spans: [ZipkinSpan] = []
        var times: [ContinuousClock.Instant] = []
        var maxBatch: Int { 100 }
        func flush(_ spans: ArraySlice<ZipkinSpan>) {
            times.append(.now)
            self.spans += spans
        }
    }

    @Test func batchesOfOneFlushArePaced() {
        let sink = TimingSink()
        let recorder = SpanRecorder(sink: sink, capacity: 1000, interval: .milliseconds(10), logger: .init(label: "test"))
        let spans = (0..<350).map {
            ZipkinSpan(traceID: "1", name: "s\($0)", id: "\($0)", parentID: nil, kind: .local, start: 1, end: 2, binaryAnnotations: [])
        }
        for span in spans { recorder.record(span) }
        var scratch: [ZipkinSpan] = []
        #expect(recorder.flushPending(&scratch, pace: .milliseconds(20)))
        #expect(sink.spans.map(\.name) == spans.map(\.name))  // all of them, in order
        #expect(sink.times.count == 4)  // 100, 100, 100, 50
        for (earlier, later) in zip(sink.times, sink.times.dropFirst()) {
            #expect(later - earlier >= .milliseconds(20))
        }
        #expect(!recorder.flushPending(&scratch, pace: .milliseconds(20)))  // nothing left
        #expect(SpanRecorder.pace > .zero && SpanRecorder.pace <= .milliseconds(5))
    }
}
