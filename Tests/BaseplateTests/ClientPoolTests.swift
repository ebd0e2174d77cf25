@testable import Baseplate
import Glibc
import Logging
import Synchronization
import Testing

@Suite(.serialized) struct ClientPoolTests {
    /// A server with a `BaseplateApp` whose `downstream` client is a pool to `downstreamPort`.
    static func withServers(
        frontThreads: Int = 2,
        retryPolicy: RetryPolicy = .once,
        pool configure: (inout ThriftConnectionPool.Configuration) -> Void = { _ in },
        _ body: (_ front: ThriftServer, _ observer: RecordingObserver) throws -> Void
    ) throws {
        let back = try ThriftServer(
            configuration: .init(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1),
            processor: TestProcessor(), logger: Logger(label: "back"))
        try back.start()
        defer { back.shutdown(timeout: .seconds(2)) }
        var config = ThriftConnectionPool.Configuration(endpoint: .inet(host: "127.0.0.1", port: back.port))
        configure(&config)
        let app = BaseplateApp(appConfig: ["baseplate.service_name": "front-service"])
        let observer = RecordingObserver()
        app.register(observer)
        app.addToContext("downstream", ThriftClientFactory(pool: ThriftConnectionPool(config), retryPolicy: retryPolicy) {
            EchoClient(channel: $0)
        })
        let front = try ThriftServer(
            configuration: .init(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: frontThreads),
            processor: TestProcessor(), baseplate: app, logger: Logger(label: "front"))
        try front.start()
        defer { front.shutdown(timeout: .seconds(2)) }
        try body(front, observer)
    }

    static func headers(_ text: String) -> [String: String] {
        Dictionary(uniqueKeysWithValues: text.split(separator: ";").map {
            let kv = $0.split(separator: "=", maxSplits: 1).map(String.init)
            return (kv[0], kv.count > 1 ? kv[1] : "")
        })
    }

    @Test func traceEdgeContextAndBudgetReachTheDownstreamServer() throws {
        try Self.withServers { front, observer in
            let c = try TestClient(port: front.port)
            let r = try c.call("relay", "allheaders", headers: [
                ("Trace", "1234"), ("Parent", "2345"), ("Span", "3456"), ("Sampled", "1"), ("Flags", "1"),
                ("Edge-Request", "edge!"), ("Deadline-Budget", "500"),
            ])
            let h = Self.headers(try #require(r.value))
            #expect(h["Trace"] == "1234")
            #expect(h["Parent"] == "3456")  // the client span's parent: our server span
            #expect(h["Span"] != nil && h["Span"] != "3456" && UInt64(h["Span"]!) != nil)
            #expect(h["Sampled"] == "1" && h["Flags"] == "1")
            #expect(h["Edge-Request"] == "edge!")
            #expect(h["User-Agent"] == "front-service")
            // min(pool timeout 1 s, the 500 ms left of the caller's budget), in whole ms.
            let budget = try #require(Int(h["Deadline-Budget"] ?? ""))
            #expect(budget > 400 && budget <= 500)
            let events = observer.waitForFinished(1)
            #expect(events.contains(.created(name: "relay", traceID: "1234", parentID: "2345", id: "3456",
                                             sampled: true, flags: 1)))
        }
    }

    @Test func budgetHeaderIsTheSmallestOfPoolTimeoutRetryBudgetAndCallerBudget() throws {
        try Self.withServers(retryPolicy: RetryPolicy(attempts: 1, budget: .milliseconds(300))) { front, _ in
            let c = try TestClient(port: front.port)
            let budget = { (headers: [(String, String)]) throws -> Int in
                let h = Self.headers(try #require(try c.call("relay", "allheaders", headers: headers).value))
                return try #require(Int(h["Deadline-Budget"] ?? ""))
            }
            // The retry budget (300 ms) is below the pool timeout (1 s).
            let retry = try budget([])
            #expect(retry > 200 && retry <= 300)
            // The caller's budget (150 ms) is below both.
            let caller = try budget([("Deadline-Budget", "150")])
            #expect(caller > 50 && caller <= 150)
        }
    }

    @Test func requestsAreFreedOnceAnswered() throws {
        // A context that used a context client refers to itself twice over (its server span's
        // context, the client's channel): both links must go when the request is answered.
        final class Box: @unchecked Sendable {
            weak var context: RequestContext?
            init(_ context: RequestContext) { self.context = context }
        }
        final class Weak: BaseplateObserver {
            let contexts = Mutex<[Box]>([])
            func onServerSpanCreated(context: RequestContext, serverSpan: ServerSpan) {
                contexts.withLock { $0.append(Box(context)) }
            }
        }
        let weak = Weak()
        let back = try ThriftServer(
            configuration: .init(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1),
            processor: TestProcessor(), logger: Logger(label: "back"))
        try back.start()
        defer { back.shutdown(timeout: .seconds(2)) }
        let app = BaseplateApp()
        app.register(weak)
        let pool = ThriftConnectionPool(.init(endpoint: .inet(host: "127.0.0.1", port: back.port)))
        app.addToContext("downstream", ThriftClientFactory(pool: pool) { EchoClient(channel: $0) })
        let front = try ThriftServer(
            configuration: .init(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1),
            processor: TestProcessor(), baseplate: app, logger: Logger(label: "front"))
        try front.start()
        defer { front.shutdown(timeout: .seconds(2)) }
        let c = try TestClient(port: front.port)
        #expect(try c.call("relay", "echo:hi").value == "hi")
        #expect(try c.call("echo", "plain").value == "plain")
        // Freed, or taken back by the loop for its next request (which it does only when
        // nothing else holds them). The loop takes a request back before it writes the reply,
        // so it is idle by now and its pool can be read from here.
        let recycled = front.loops.contexts[0].requests
        var alive = 2
        for _ in 0..<100 {
            alive = weak.contexts.withLock { $0.filter { $0.context.map { !recycled.holds($0) } ?? false }.count }
            if alive == 0 { break }
            usleep(10_000)
        }
        #expect(weak.contexts.withLock { $0.count } == 2)
        #expect(alive == 0)
    }

    @Test func clientSpansAreChildrenNamedAfterTheClientAndMethod() throws {
        final class ChildRecorder: BaseplateObserver, SpanObserver {
            let names = Mutex<[String]>([])
            func onServerSpanCreated(context: RequestContext, serverSpan: ServerSpan) { serverSpan.register(self) }
            func onChildSpanCreated(_ parent: Span, child: Span) {
                names.withLock { $0.append("\(child.name) parent=\(child.parentID == parent.id)") }
                child.register(self)
            }
            func onSetTag(_ span: Span, key: String, value: SpanTagValue) {
                if span.name != "relay" { names.withLock { $0.append("\(key)=\(value)") } }
            }
            func onFinish(_ span: Span, error: (any Error)?) {
                names.withLock { $0.append("finish \(span.name) \(error == nil ? "ok" : "failed")") }
            }
        }
        let back = try ThriftServer(
            configuration: .init(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1),
            processor: TestProcessor(), logger: Logger(label: "back"))
        try back.start()
        defer { back.shutdown(timeout: .seconds(2)) }
        let app = BaseplateApp()
        let recorder = ChildRecorder()
        app.register(recorder)
        let pool = ThriftConnectionPool(.init(endpoint: .inet(host: "127.0.0.1", port: back.port)))
        app.addToContext("downstream", ThriftClientFactory(pool: pool) { EchoClient(channel: $0) })
        let front = try ThriftServer(
            configuration: .init(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1),
            processor: TestProcessor(), baseplate: app, logger: Logger(label: "front"))
        try front.start()
        defer { front.shutdown(timeout: .seconds(2)) }
        let c = try TestClient(port: front.port)
        #expect(try c.call("relay", "echo:hi").value == "hi")
        for _ in 0..<100 where !recorder.names.withLock({ $0.contains("finish relay ok") }) { usleep(10_000) }
        #expect(recorder.names.withLock { $0 } == [
            "downstream.echo parent=true", "slug=downstream", "method=echo", "finish downstream.echo ok",
            "finish relay ok",
        ])
        #expect(pool.connectionsInUse == 0)
        // baseplate.py's client metrics, with the pool named after its endpoint.
        let text = Exposition.render(Exposition.merge([.init(pid: "1", samples: MetricsRegistry.shared.rawSamples())]))
        func value(_ series: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
        }
        // (Labels come out sorted, as prometheus_client's multiprocess collector writes them.)
        let labels = #"thrift_client_name="downstream",thrift_method="echo""#
        #expect((value(#"thrift_client_requests_total{thrift_baseplate_status="",thrift_baseplate_status_code="",thrift_client_name="downstream",thrift_exception_type="",thrift_method="echo",thrift_success="true"}"#) ?? 0) >= 1)
        #expect((value(#"thrift_client_latency_seconds_count{\#(labels),thrift_success="true"}"#) ?? 0) >= 1)
        #expect(value(#"thrift_client_active_requests{\#(labels)}"#) == 0)
        #expect(value(#"thrift_client_pool_max_size{thrift_pool="127.0.0.1:\#(back.port)",pid="1"}"#) == 10)
        #expect(value(#"thrift_client_pool_active_connections{thrift_pool="127.0.0.1:\#(back.port)",pid="1"}"#) == 0)
    }

    @Test func slowDownstreamTimesOutAndTheConnectionIsReplaced() throws {
        try Self.withServers(pool: { $0.timeout = .milliseconds(100) }) { front, _ in
            let c = try TestClient(port: front.port)
            let r = try #require(try c.call("relay", "slow:1000").value)
            #expect(r.contains("timed out interacting with socket"), "\(r)")
            #expect(try c.call("relay", "echo:after").value == "after")
        }
    }

    @Test func waitingForASlotTimesOut() throws {
        try Self.withServers(frontThreads: 1, pool: { $0.size = 1; $0.timeout = .seconds(3) }) { front, _ in
            // Three concurrent calls share the loop's single slot, each holding it 2 s: the second
            // gets it at 2 s; the third would get it at 4 s, after its 3 s wait (1 s margins
            // either way, for loaded machines).
            let clients = try (0..<3).map { _ in try TestClient(port: front.port) }
            for c in clients { try c.send(c.frame("relay", StringArg(value: "slow:2000"))) }
            let results = try clients.map { try $0.readReply().value ?? "" }
            #expect(results.filter { $0 == "2000" }.count == 2, "\(results)")
            #expect(results.contains { $0.contains("timed out waiting for a connection slot") }, "\(results)")
        }
    }

    @Test func refusedConnectsGiveUpAfterMaxConnectionAttempts() async throws {
        // A port nothing listens on: bind, note the port, close.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                _ = bind(fd, $0, len)
                _ = getsockname(fd, $0, &len)
            }
        }
        let port = Int(UInt16(bigEndian: addr.sin_port))
        close(fd)
        let pool = ThriftConnectionPool(.init(endpoint: .inet(host: "127.0.0.1", port: port)))
        await #expect(throws: TTransportException(.notOpen, "giving up after multiple attempts to connect")) {
            _ = try await EchoClient(channel: pool).call("echo", "x")
        }
    }

    @Test func poolConfigFromINIKeys() throws {
        let c = try ThriftConnectionPool.Configuration(config: [
            "downstream.endpoint": "localhost:9090", "downstream.size": "4", "downstream.max_age": "2 minutes",
            "downstream.timeout": "250 milliseconds", "downstream.max_connection_attempts": "5",
            "downstream.fifo_queue": "true",
        ], prefix: "downstream.")
        #expect(c.endpoint == .inet(host: "localhost", port: 9090))
        #expect(c.size == 4 && c.maxAge == .seconds(120) && c.timeout == .milliseconds(250))
        #expect(c.maxConnectionAttempts == 5 && c.fifo)
        let d = try ThriftConnectionPool.Configuration(config: ["endpoint": "/tmp/s.sock"])
        #expect(d.size == 10 && d.maxAge == .seconds(60) && d.timeout == .seconds(1) && d.maxConnectionAttempts == 3 && !d.fifo)
        #expect(throws: ConfigurationError.self) {
            try ThriftConnectionPool.Configuration(config: ["x.endpoint": "h:1", "x.max_retries": "3"], prefix: "x.")
        }
        #expect(throws: ConfigurationError.self) { try ThriftConnectionPool.Configuration(config: [:]) }
    }

    @Test func retryPolicyKeepsBaseplateArithmetic() async {
        func count(_ policy: RetryPolicy) async -> Int {
            var attempts = policy.makeAttempts()
            var n = 0
            while await attempts.next() != nil, n < 100 { n += 1 }
            return n
        }
        #expect(await count(RetryPolicy(attempts: 3)) == 3)
        #expect(await count(RetryPolicy(attempts: 3, budget: .seconds(100))) == 4)  // baseplate.py's quirk
        #expect(await count(RetryPolicy(attempts: 1, budget: .seconds(100))) == 2)
        #expect(await count(.once) == 1)
        var timed = RetryPolicy(attempts: 2, budget: .seconds(10)).makeAttempts()
        let first = await timed.next()
        #expect(first == .some(.seconds(10)))
        let second = await timed.next()
        #expect((second ?? nil).map { $0 > .seconds(9) && $0 <= .seconds(10) } == true)
        // Backoff sleeps base * 2^(k-1) before attempt k.
        let start = ContinuousClock.now
        #expect(await count(RetryPolicy(attempts: 3, backoff: .milliseconds(20))) == 3)
        #expect(ContinuousClock.now - start >= .milliseconds(60))
    }
}
