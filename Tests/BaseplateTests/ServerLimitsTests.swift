import Baseplate
import Glibc
import Logging
import Testing
import TestSupport

/// `ThriftServer.Configuration`'s limits reach the C core and act: readTimeout, maxConcurrency,
/// maxBufferedBytes (the integration suite, Tests/Integration/test_hostile*.py, covers their
/// INI keys, log lines and bystanders).
@Suite(.serialized) struct ServerLimitsTests {
    static func withServer(_ configure: (inout ThriftServer.Configuration) -> Void,
                           _ body: (ThriftServer) throws -> Void) throws {
        var config = ThriftServer.Configuration(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1)
        configure(&config)
        let server = try ThriftServer(configuration: config, processor: TestProcessor(),
                                      logger: Logger(label: "test"))
        try server.start()
        defer { server.shutdown(timeout: .seconds(2)) }
        try body(server)
    }

    static func setReceiveTimeout(_ c: TestClient, milliseconds: Int) {
        var tv = timeval(tv_sec: milliseconds / 1000, tv_usec: Int((milliseconds % 1000) * 1000))
        setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// EOF or a reset: the server closed it (a reset when it closed with bytes unread).
    static func closedByServer(_ c: TestClient) -> Bool {
        var byte: UInt8 = 0
        let r = recv(c.fd, &byte, 1, 0)
        return r == 0 || (r < 0 && errno == ECONNRESET)
    }

    @Test func readTimeoutClosesAStalledRequestNotAnIdleConnection() throws {
        try Self.withServer({ $0.readTimeout = .milliseconds(200) }) { server in
            let idle = try TestClient(port: server.port)
            #expect(try idle.call("echo", "first").value == "first")
            let stalled = try TestClient(port: server.port)
            let frame = stalled.frame("echo", StringArg(id: 1, value: "half"))
            let start = ContinuousClock.now
            try stalled.send(Array(frame.prefix(frame.count / 2)))
            #expect(Self.closedByServer(stalled))
            let waited = ContinuousClock.now - start
            #expect(waited >= .milliseconds(180) && waited < .seconds(2), "closed after \(waited)")
            // The idle connection has nothing buffered: it outlives the timeout.
            #expect(try idle.call("echo", "still open").value == "still open")
        }
    }

    @Test func maxConcurrencyLeavesFurtherConnectionsInTheBacklog() throws {
        try Self.withServer({ $0.maxConcurrency = 1 }) { server in
            var first: TestClient? = try TestClient(port: server.port)
            #expect(try first?.call("echo", "a").value == "a")
            let second = try TestClient(port: server.port)   // completes in the kernel's backlog
            try second.send(second.frame("echo", StringArg(id: 1, value: "b")))
            Self.setReceiveTimeout(second, milliseconds: 300)
            var byte: UInt8 = 0
            #expect(recv(second.fd, &byte, 1, Int32(MSG_PEEK)) < 0, "served beyond maxConcurrency")
            first = nil   // closes it: the waiting connection is accepted and answered
            Self.setReceiveTimeout(second, milliseconds: 5000)
            #expect(try second.readReply().value == "b")
        }
    }

    @Test func maxBufferedBytesClosesTheConnectionHoldingTheMost() throws {
        try Self.withServer({ $0.maxBufferedBytes = 1 << 20 }) { server in
            let greedy = try TestClient(port: server.port)
            // The first 1.5 MiB of a 4 MiB THeader frame: buffered until it passes 1 MiB in all.
            var partial: [UInt8] = [0x00, 0x40, 0x00, 0x00, 0x0f, 0xff, 0x00, 0x00]
            partial += [UInt8](repeating: 0, count: 3 << 19)
            try? greedy.send(partial)   // the server may close it before reading everything
            #expect(Self.closedByServer(greedy))
            let other = try TestClient(port: server.port)
            #expect(try other.call("echo", "served").value == "served")
        }
    }
}
