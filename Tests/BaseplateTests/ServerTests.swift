import Baseplate
import Glibc
import Logging
import Testing
import TestSupport

/// The server in-process on a loopback port, driven by a raw client.
@Suite(.serialized) struct ServerTests {
    static func withServer(ioThreads: Int = 2, maxFrameSize: Int = 1 << 20,
                           _ body: (ThriftServer) throws -> Void) throws {
        var config = ThriftServer.Configuration(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: ioThreads)
        config.maxFrameSize = maxFrameSize
        let server = try ThriftServer(configuration: config, processor: TestProcessor(),
                                      logger: Logger(label: "test"))
        try server.start()
        defer { server.shutdown(timeout: .seconds(2)) }
        try body(server)
    }

    @Test func echoAndHeaders() throws {
        try Self.withServer { server in
            let c = try TestClient(port: server.port)
            let r = try c.call("echo", "hello")
            #expect(r.value == "hello")
            #expect(r.header == MessageHeader(name: "echo", type: .reply, sequenceID: 1))
            let h = try c.call("headers", "user-agent", headers: [("User-Agent", "svc"), ("Trace", "1")])
            #expect(h.value == "svc")
            #expect(try c.call("headers", "missing").value == "<none>")
        }
    }

    @Test func handlerSeesItsRequestAndTraceID() throws {
        try Self.withServer { server in
            let c = try TestClient(port: server.port)
            #expect(try c.call("traceid", "", headers: [("Trace", "5678")]).value == "5678")
            let own = try #require(try c.call("traceid", "").value)
            let other = try #require(try c.call("traceid", "").value)
            #expect(UInt64(own) != nil && UInt64(other) != nil && own != other)
        }
    }

    @Test func unknownMethodKeepsTheConnection() throws {
        try Self.withServer { server in
            let c = try TestClient(port: server.port)
            let r = try c.call("nope", "x")
            #expect(r.header.type == .exception)
            #expect(r.exception == TApplicationException(.unknownMethod, "Unknown function nope"))
            #expect(try c.call("echo", "still open").value == "still open")
        }
    }

    @Test func undeclaredErrorIsInternalError() throws {
        try Self.withServer { server in
            let c = try TestClient(port: server.port)
            let r = try c.call("boom", "")
            #expect(r.exception == TApplicationException(.internalError, "Internal error"))
            #expect(try c.call("echo", "after").value == "after")
        }
    }

    @Test func undecodableArgumentsGetProtocolError() throws {
        try Self.withServer { server in
            let c = try TestClient(port: server.port)
            var w = CompactWriter()
            w.writeMessageBegin(MessageHeader(name: "echo", type: .call, sequenceID: 9))
            w.bytes += [0x18, 0x7f]  // field 1 string claiming 127 bytes, none present
            try c.send(theaderFrame(seqid: 9, payload: w.bytes))
            let r = try c.readReply()
            #expect(r.header.sequenceID == 9)
            #expect(r.exception?.code == .protocolError)
            #expect(try c.call("echo", "ok").value == "ok")
        }
    }

    @Test func pipelinedRepliesComeInOrder() throws {
        try Self.withServer { server in
            let c = try TestClient(port: server.port)
            // Slow handlers suspend and resume from the timer's thread; order must hold anyway.
            var batch: [UInt8] = []
            let calls = [("slow", "30"), ("echo", "a"), ("slow", "5"), ("boom", ""), ("echo", "b"), ("nope", "")]
            for (m, v) in calls { batch += c.frame(m, StringArg(value: v)) }
            try c.send(batch)
            for (i, (m, v)) in calls.enumerated() {
                let r = try c.readReply()
                #expect(r.header.sequenceID == Int32(i + 1))
                #expect(r.header.name == m)
                if m == "slow" || m == "echo" { #expect(r.value == v) }
            }
        }
    }

    /// Handlers that never suspend: each reply lets the next queued frame through within the
    /// same loop iteration (a regression test: the loop once slept with that work queued).
    @Test func pipelinedBatchOfQuickHandlers() throws {
        try Self.withServer { server in
            let c = try TestClient(port: server.port)
            var batch: [UInt8] = []
            for i in 0..<64 { batch += c.frame("echo", StringArg(value: "\(i)")) }
            try c.send(batch)
            for i in 0..<64 {
                let r = try c.readReply()
                #expect(r.header.sequenceID == Int32(i + 1))
                #expect(r.value == "\(i)")
            }
        }
    }

    @Test func onewayGetsNoReply() throws {
        try Self.withServer { server in
            let c = try TestClient(port: server.port)
            try c.send(c.frame("ping", StringArg(value: ""), type: .oneway))
            let r = try c.call("echo", "after ping")
            #expect(r.header.sequenceID == 2)
            #expect(r.value == "after ping")
        }
    }

    @Test func requestArrivingOneByteAtATime() throws {
        try Self.withServer { server in
            let c = try TestClient(port: server.port)
            for b in c.frame("echo", StringArg(value: "slowly")) {
                try c.send([b])
                usleep(200)
            }
            #expect(try c.readReply().value == "slowly")
        }
    }

    @Test func hundredsOfConnections() throws {
        try Self.withServer { server in
            let clients = try (0..<300).map { _ in try TestClient(port: server.port) }
            for (i, c) in clients.enumerated() { try c.send(c.frame("echo", StringArg(value: "\(i)"))) }
            for (i, c) in clients.enumerated() { #expect(try c.readReply().value == "\(i)") }
        }
    }

    @Test func oversizedFrameClosesOnlyThatConnection() throws {
        try Self.withServer(maxFrameSize: 4096) { server in
            let good = try TestClient(port: server.port)
            let bad = try TestClient(port: server.port)
            try bad.send([0x00, 0x01, 0x00, 0x00, 0x0f, 0xff, 0, 0])  // 65536-byte frame > 4096
            #expect(bad.isClosedByPeer())
            let garbage = try TestClient(port: server.port)
            try garbage.send(Array("GET / HTTP/1.1\r\n\r\n".utf8))
            #expect(garbage.isClosedByPeer())
            #expect(try good.call("echo", "unaffected").value == "unaffected")
        }
    }

    @Test func shutdownAnswersRequestsInFlight() throws {
        var config = ThriftServer.Configuration(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1)
        config.maxFrameSize = 1 << 20
        let server = try ThriftServer(configuration: config, processor: TestProcessor(), logger: Logger(label: "test"))
        try server.start()
        let busy = try TestClient(port: server.port)
        let idle = try TestClient(port: server.port)
        #expect(try idle.call("echo", "x").value == "x")
        try busy.send(busy.frame("slow", StringArg(value: "200")))
        usleep(50_000)
        server.stopAccepting()
        server.shutdown(timeout: .seconds(5))
        #expect(try busy.readReply().value == "200")
        #expect(busy.isClosedByPeer())
        #expect(idle.isClosedByPeer())
    }
}

/// SIGUSR1's request dump: each loop names its requests in flight with their age.
@Suite(.serialized) struct InFlightTests {
    final class Lines: @unchecked Sendable {
        let lock = NSLockLike()
        var lines: [String] = []
        func add(_ s: String) { lock.withLock { lines.append(s) } }
        var all: [String] { lock.withLock { lines } }
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

    @Test func slowRequestIsListedWithItsAge() throws {
        let lines = Lines()
        let logger = Logger(label: "capture") { _ in Capture(lines: lines) }
        let server = try ThriftServer(
            configuration: .init(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1),
            processor: TestProcessor(), logger: logger)
        try server.start()
        defer { server.shutdown(timeout: .seconds(2)) }
        let c = try TestClient(port: server.port)
        try c.send(c.frame("slow", StringArg(value: "300")))
        usleep(100_000)
        server.logRequestsInFlight()
        usleep(50_000)
        #expect(lines.all.contains("loop 0: 1 request(s) in flight, 1 connection(s)"))
        #expect(lines.all.contains { $0.hasPrefix("loop 0: in flight: slow, age ") })
        #expect(try c.readReply().value == "300")
        server.logRequestsInFlight()
        usleep(50_000)
        #expect(lines.all.contains("loop 0: 0 request(s) in flight, 1 connection(s)"))
    }
}

/// A oneway handler's failure cannot reach the client, so it is logged.
@Suite(.serialized) struct OnewayFailureTests {
    @Test func failureIsLoggedAndTheConnectionGoesOn() throws {
        let lines = InFlightTests.Lines()
        let logger = Logger(label: "capture") { _ in InFlightTests.Capture(lines: lines) }
        let server = try ThriftServer(
            configuration: .init(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1),
            processor: TestProcessor(), logger: logger)
        try server.start()
        defer { server.shutdown(timeout: .seconds(2)) }
        let c = try TestClient(port: server.port)
        try c.send(c.frame("ping_fail", StringArg(value: ""), type: .oneway))
        #expect(try c.call("echo", "next").value == "next")
        #expect(lines.all.contains("Unexpected exception in oneway handler"))
    }
}

/// A tiny mutex for test bookkeeping.
final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    func withLock<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}

/// The C core's log lines go to the logger of the server whose connection they are about,
/// whatever servers (or client loops) the process made after it.
@Suite(.serialized) struct ServerLogTests {
    @Test func eachServerLogsToItsOwnLogger() throws {
        let first = InFlightTests.Lines(), second = InFlightTests.Lines()
        func server(_ lines: InFlightTests.Lines) throws -> ThriftServer {
            try ThriftServer(
                configuration: .init(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1),
                processor: TestProcessor(), logger: Logger(label: "capture") { _ in InFlightTests.Capture(lines: lines) })
        }
        let a = try server(first)
        let b = try server(second)  // made last: it used to take over every server's lines
        try a.start()
        try b.start()
        defer {
            a.shutdown(timeout: .seconds(2))
            b.shutdown(timeout: .seconds(2))
        }
        let c = try TestClient(port: a.port)
        try c.send(Array("GET / HTTP/1.1\r\n\r\n".utf8))
        #expect(c.isClosedByPeer())
        let line = "could not detect the client's Thrift transport type; closing"
        #expect(first.all.contains { $0.hasSuffix(line) })
        #expect(!second.all.contains { $0.hasSuffix(line) })
    }
}
