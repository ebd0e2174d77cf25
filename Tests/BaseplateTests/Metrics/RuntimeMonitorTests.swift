import Glibc
import Logging
import Synchronization
import Testing
@testable import Baseplate

/// TestProcessor plus `block`, a handler that holds its loop's thread (as a blocking call in a
/// handler would) for the milliseconds given.
struct BlockingProcessor: ThriftProcessor {
    let inner = TestProcessor()

    func makeCall(_ method: String, reader: inout BinaryReader) throws(ThriftProtocolError) -> ThriftCall? {
        try call(method, &reader) { (r: inout BinaryReader) throws(ThriftProtocolError) in try inner.makeCall(method, reader: &r) }
    }

    func makeCall(_ method: String, reader: inout CompactReader) throws(ThriftProtocolError) -> ThriftCall? {
        try call(method, &reader) { (r: inout CompactReader) throws(ThriftProtocolError) in try inner.makeCall(method, reader: &r) }
    }

    private func call<R: ThriftReader>(_ method: String, _ reader: inout R,
                                       other: (inout R) throws(ThriftProtocolError) -> ThriftCall?) throws(ThriftProtocolError) -> ThriftCall? {
        guard method == "block" else { return try other(&reader) }
        let args = try StringArg(from: &reader)
        return ThriftCall { _, responder in
            usleep(UInt32(Int(args.value) ?? 10) * 1000)
            responder.reply(StringArg(id: 0, value: args.value))
        }
    }
}

/// A context object that reports like the Thrift client pool will.
struct FakePool: ContextFactory, RuntimeMetricsReporter {
    func makeObject(for context: RequestContext, name: String, span: Span) -> any Sendable { 0 }
    func reportRuntimeMetrics(_ batch: MetricsBatch) {
        batch.gauge("pool.size").replace(10)
        batch.gauge("pool.in_use").replace(2)
    }
}

@Suite(.serialized) struct RuntimeMonitorTests {
    @Test func reportsAlignWithTheWallClock() {
        #expect(RuntimeMonitor.delayUntilNextReport(now: 1_700_000_003.25, interval: 10) == 6.75)
        #expect(RuntimeMonitor.delayUntilNextReport(now: 1_700_000_010, interval: 10) == 10)
    }

    @Test func settingsFromTheServerSection() throws {
        let defaults = try RuntimeMonitorSettings(serverConfig: [:])
        #expect(defaults == RuntimeMonitorSettings())
        #expect(defaults.metricsEnabled && defaults.concurrency && defaults.memory && !defaults.connectionPool)
        #expect(defaults.blockedLoop == nil)
        let set = try RuntimeMonitorSettings(serverConfig: [
            "metrics.enabled": "false", "monitoring.blocked_hub": "100 milliseconds", "monitoring.concurrency": "false",
            "monitoring.connection_pool": "true", "monitoring.gc.stats": "false",
        ])
        #expect(!set.metricsEnabled && !set.concurrency && set.connectionPool && !set.memory)
        #expect(set.blockedLoop == .milliseconds(100))
        #expect(throws: ConfigurationError(key: "monitoring.concurrency", error: "expected one of dict_keys(['true', 'false'])")) {
            try RuntimeMonitorSettings(serverConfig: ["monitoring.concurrency": "maybe"])
        }
    }

    /// A server with 2 loops, 3 connections and a request in flight; reports every 0.3 s.
    @Test func reportsGaugesPoolsAndBlockedLoops() throws {
        let listener = try StatsdListener()
        let app = BaseplateApp(appConfig: ["metrics.namespace": "svc", "metrics.endpoint": "127.0.0.1:\(listener.port)"])
        try app.configureObservers()
        app.addToContext("downstream", FakePool())
        let server = try ThriftServer(
            configuration: .init(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 2),
            processor: BlockingProcessor(), baseplate: app, logger: Logger(label: "test"))
        var settings = RuntimeMonitorSettings()
        settings.connectionPool = true
        settings.blockedLoop = .milliseconds(100)
        let logs = CapturedLogs()
        let monitor = try #require(RuntimeMonitor.start(settings: settings, server: server, baseplate: app, interval: 0.3, logger: logs.logger))
        try server.start()
        defer {
            monitor.stop()
            server.shutdown(timeout: .seconds(2))
        }
        let clients = try (0..<3).map { _ in try TestClient(port: server.port) }
        try clients[0].send(clients[0].frame("slow", StringArg(id: 1, value: "1500")))

        func nextReport() -> [String]? {
            for _ in 0..<40 {
                guard let datagram = listener.receive(timeout: 2) else { return nil }
                if datagram.hasPrefix("svc.runtime.") { return datagram.split(separator: "\n").map(String.init) }
            }
            return nil
        }
        _ = nextReport()  // may predate the connections
        let report = try #require(nextReport())
        let tags = ",hostname=\(monitor.hostname),PID=\(getpid())"
        #expect(monitor.pid == String(getpid()) && !monitor.hostname.isEmpty)
        #expect(Array(report.prefix(4)) == [
            "svc.runtime.open_connections\(tags):3|g",
            "svc.runtime.active_requests\(tags):1|g",
            "svc.runtime.pool.size\(tags),client=downstream:10|g",
            "svc.runtime.pool.in_use\(tags),client=downstream:2|g",
        ])
        #expect(report.count == 6)
        for (line, name) in zip(report.dropFirst(4), ["memory.rss", "memory.heap"]) {
            #expect(line.hasPrefix("svc.runtime.\(name)\(tags):") && line.hasSuffix("|g"), "\(line)")
            let value = line.split(separator: ":").last!.dropLast(2)
            #expect((Double(value) ?? 0) > 100_000, "\(line)")
        }

        // A handler that holds its loop for 400 ms: logged with the request, then timed.
        let reply = try clients[1].call("block", "400", headers: [("Trace", "987654"), ("Span", "42")])
        #expect(reply.value == "400")
        var blocked: String?
        for _ in 0..<10 where blocked == nil {
            blocked = nextReport()?.first { $0.hasPrefix("svc.runtime.hub_blocked") }
        }
        let line = try #require(blocked)
        let ms = try #require(Double(line.split(separator: ":").last!.dropLast(3)))
        #expect(line.hasPrefix("svc.runtime.hub_blocked\(tags):") && line.hasSuffix("|ms"))
        #expect(ms >= 200 && ms <= 2000, "\(line)")
        let warnings = logs.messages.filter { $0.level == .warning }.map(\.message)
        #expect(warnings.contains { $0.contains("blocked for at least") && $0.contains("block (trace 987654, age ") }, "\(warnings)")
        #expect(warnings.contains { $0.contains("is running again after being blocked for about") })
        // the blocked loop once; an idle loop is not reported (unless the machine starved it)
        #expect(warnings.filter { $0.contains("block (trace 987654") }.count == 1, "\(warnings)")
        #expect(warnings.allSatisfy { $0.contains("blocked for at least") || $0.contains("is running again") }, "\(warnings)")
    }

    /// The Thrift client pool's factory reports its size and the connections checked out.
    @Test func thriftPoolReports() async throws {
        let listener = try StatsdListener()
        let backend = try ThriftServer(
            configuration: .init(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1),
            processor: TestProcessor(), logger: Logger(label: "test"))
        try backend.start()
        defer { backend.shutdown(timeout: .seconds(2)) }
        var poolConfig = ThriftConnectionPool.Configuration(endpoint: .inet(host: "127.0.0.1", port: backend.port))
        poolConfig.size = 5
        poolConfig.timeout = .seconds(5)
        let pool = ThriftConnectionPool(poolConfig)
        let app = BaseplateApp(appConfig: ["metrics.namespace": "svc", "metrics.endpoint": "127.0.0.1:\(listener.port)"])
        try app.configureObservers()
        app.addToContext("backend", ThriftClientFactory(pool: pool) { $0 })
        let server = try ThriftServer(
            configuration: .init(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1),
            processor: TestProcessor(), baseplate: app, logger: Logger(label: "test"))
        var settings = RuntimeMonitorSettings()
        settings.connectionPool = true
        settings.concurrency = false
        settings.memory = false
        let monitor = try #require(RuntimeMonitor.start(settings: settings, server: server, baseplate: app, interval: 100_000, logger: Logger(label: "test")))
        defer { monitor.stop() }
        let tags = ",hostname=\(monitor.hostname),PID=\(getpid()),client=backend"

        var w = CompactWriter(bytes: [])
        w.writeMessageBegin(MessageHeader(name: "slow", type: .call, sequenceID: 1))
        StringArg(id: 1, value: "2000").write(to: &w)
        let message = w.bytes
        let call = Task { try await pool.send(message, expectsReply: true) }
        // Sleeping, not usleep: blocking a cooperative thread could keep the call from starting.
        for _ in 0..<1000 where pool.connectionsInUse == 0 { try await Task.sleep(for: .milliseconds(5)) }
        monitor.report()
        #expect(listener.receive() == "svc.runtime.pool.size\(tags):5|g\nsvc.runtime.pool.in_use\(tags):1|g")
        _ = try await call.value
        monitor.report()
        #expect(listener.receive() == "svc.runtime.pool.size\(tags):5|g\nsvc.runtime.pool.in_use\(tags):0|g")
    }

    @Test func disabledOrWithoutClient() throws {
        let server = try ThriftServer(
            configuration: .init(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1),
            processor: TestProcessor(), logger: Logger(label: "test"))
        var off = RuntimeMonitorSettings()
        off.metricsEnabled = false
        let logs = CapturedLogs()
        #expect(RuntimeMonitor.start(settings: off, server: server, baseplate: BaseplateApp(), interval: 0.1, logger: logs.logger) == nil)
        #expect(logs.messages.map(\.message) == ["No metrics client configured. Server metrics will not be sent."])
    }
}
