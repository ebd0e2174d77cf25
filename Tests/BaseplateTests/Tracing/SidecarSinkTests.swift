import CBaseplateIO
import Glibc
import Logging
import Testing
@testable import Baseplate

/// The sidecar recorder's warnings, against a real POSIX queue (made small, as any user may).
@Suite(.serialized) struct SidecarSinkTests {
    final class Lines: @unchecked Sendable {
        private var lines: [String] = []
        private let lock = Mutex()
        func add(_ s: String) { lock.run { lines.append(s) } }
        var all: [String] { lock.run { lines } }
    }

    final class Mutex: @unchecked Sendable {
        private var m = pthread_mutex_t()
        init() { pthread_mutex_init(&m, nil) }
        func run<T>(_ body: () -> T) -> T {
            pthread_mutex_lock(&m)
            defer { pthread_mutex_unlock(&m) }
            return body()
        }
    }

    struct Capture: LogHandler {
        let lines: Lines
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { lines.add(event.message.description) }
    }

    static func span(tag: String = "x") -> ZipkinSpan {
        ZipkinSpan(traceID: "1", name: "m", id: "2", parentID: nil, kind: .server, start: 1, end: 2,
                   binaryAnnotations: [.init(key: "big", value: tag)])
    }

    @Test func tooBigAndFullQueueWarnings() throws {
        let name = "swifttest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        // The sidecar's side: a queue of 3 small messages, made before the recorder opens it.
        let sidecar = try PosixMessageQueue(name: "/traces-" + name, maxMessages: 3, maxMessageSize: 8192)
        defer { _ = sidecar; bpio_mq_unlink("/traces-" + name) }
        let lines = Lines()
        let sink = try SidecarSink(queueName: name, endpoint: ZipkinEndpoint(serviceName: "s", ipv4: "1.2.3.4"),
                                   logger: Logger(label: "capture") { _ in Capture(lines: lines) })
        let huge = Self.span(tag: String(repeating: "a", count: 150_000))
        let hugeSize = huge.json(endpoint: sink.endpoint).count
        sink.flush([huge])
        #expect(lines.all == ["""
            Trace too big. Traces published to /traces-\(name) are not allowed to be larger than 102400 bytes. \
            Received trace is \(hugeSize) bytes. This can be caused by an excess amount of tags or a large amount \
            of child spans.
            """])
        // Three fit; the rest find the queue full: one warning, not one per span.
        sink.flush(ArraySlice(Array(repeating: Self.span(), count: 6)))
        #expect(lines.all.count == 2)
        #expect(lines.all.last == "Trace queue /traces-\(name) is full. Is trace sidecar healthy?")
        // Fits the 100 KiB limit but not this queue's 8 KiB messages: refused by the kernel.
        #expect(sink.queue.send(Self.span(tag: String(repeating: "b", count: 9000)).json(endpoint: sink.endpoint))
                == .failed(errno: EMSGSIZE))
    }
}
