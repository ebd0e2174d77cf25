@testable import Baseplate
import Glibc
import Logging
import Testing

/// Handler tasks are kept from request to request (`HandlerWorkers`): concurrent requests get
/// workers of their own, requests queued behind a suspended handler do not wait for it, and
/// none is left parked once the server has shut down.
@Suite struct HandlerWorkersTests {
    @Test func concurrentRequestsThenShutdownLeaveNoWorker() throws {
        let config = ThriftServer.Configuration(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1)
        let server = try ThriftServer(configuration: config, processor: TestProcessor(), logger: Logger(label: "test"))
        try server.start()
        let workers = server.loops.contexts.map(\.workers)
        // Eight connections each with a 200 ms request in flight at once: eight workers.
        let clients = try (0..<8).map { _ in try TestClient(port: server.port) }
        let start = ContinuousClock.now
        for client in clients { try client.send(client.frame("cancellable", StringArg(id: 0, value: "200"))) }
        for client in clients { #expect(try client.readReply().value == "done") }
        #expect(ContinuousClock.now - start < .milliseconds(1500))  // ran side by side, not in turn
        #expect(workers.map { $0.live.value.load(ordering: .relaxed) }.reduce(0, +) == 8)
        // Idle now; a request reuses one of them.
        #expect(try clients[0].call("echo", "again").value == "again")
        #expect(workers.map { $0.live.value.load(ordering: .relaxed) }.reduce(0, +) == 8)
        server.shutdown(timeout: .seconds(2))
        var left = -1
        for _ in 0..<200 {
            left = workers.map { $0.live.value.load(ordering: .relaxed) }.reduce(0, +)
            if left == 0 { break }
            usleep(10_000)
        }
        #expect(left == 0)
    }

    @Test func requestsQueuedBehindASuspendedHandlerDoNotWaitForIt() throws {
        let config = ThriftServer.Configuration(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1)
        let server = try ThriftServer(configuration: config, processor: TestProcessor(), logger: Logger(label: "test"))
        try server.start()
        defer { server.shutdown(timeout: .seconds(2)) }
        // A handler that suspends for 1 s, then ten quick requests on other connections (a
        // connection has one request in flight at a time), sent together so that the loop
        // queues them behind it or finds it suspended.
        let slow = try TestClient(port: server.port)
        let quick = try (0..<10).map { _ in try TestClient(port: server.port) }
        let frames = quick.enumerated().map { i, client in client.frame("echo", StringArg(id: 0, value: "quick \(i)")) }
        let start = ContinuousClock.now
        try slow.send(slow.frame("slow", StringArg(id: 0, value: "1000")))
        for (client, frame) in zip(quick, frames) { try client.send(frame) }
        for (i, client) in quick.enumerated() { #expect(try client.readReply().value == "quick \(i)") }
        #expect(ContinuousClock.now - start < .milliseconds(800))
        #expect(try slow.readReply().value == "1000")
        #expect(ContinuousClock.now - start >= .milliseconds(1000))
    }
}
