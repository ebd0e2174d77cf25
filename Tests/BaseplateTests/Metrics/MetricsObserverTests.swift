import Glibc
import Logging
import Testing
@testable import Baseplate

/// The statsd observers on a real server, sending to a real UDP socket: the lines baseplate.py's
/// metrics observers send (timer values masked as `<ms>`, checked to be numbers).
@Suite(.serialized) struct MetricsObserverTests {
    static func withServer(_ appConfig: [String: String], _ body: (ThriftServer, StatsdListener) throws -> Void) throws {
        let listener = try StatsdListener()
        var config = appConfig
        config["metrics.endpoint"] = "127.0.0.1:\(listener.port)"
        let app = BaseplateApp(appConfig: config)
        try app.configureObservers()
        let server = try ThriftServer(
            configuration: .init(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 2),
            processor: TestProcessor(), baseplate: app, logger: Logger(label: "test"))
        try server.start()
        defer { server.shutdown(timeout: .seconds(2)) }
        try body(server, listener)
    }

    /// Replaces each timer value (which must be a positive %g number) with `<ms>`.
    static func masked(_ datagram: String?) -> String? {
        guard let datagram else { return nil }
        return datagram.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.hasSuffix("|ms") || line.contains("|ms|@"),
                  let colon = line.lastIndex(of: ":"), let bar = line[colon...].firstIndex(of: "|"),
                  let value = Double(line[line.index(after: colon)..<bar]), value > 0
            else { return String(line) }
            return line[...colon] + "<ms>" + line[bar...]
        }.joined(separator: "\n")
    }

    @Test func untaggedServerSpans() throws {
        try Self.withServer(["metrics.namespace": "myservice", "server_timeout.by_endpoint.cancellable": "50 milliseconds"]) { server, listener in
            let c = try TestClient(port: server.port)
            _ = try c.call("echo", "x")
            #expect(Self.masked(listener.receive()) == "myservice.server.echo:<ms>|ms\nmyservice.server.echo.success:1|c")
            _ = try c.call("boom", "")
            #expect(Self.masked(listener.receive()) == "myservice.server.boom:<ms>|ms\nmyservice.server.boom.failure:1|c")
            // a declared exception is a success; a baseplate Error with a 5xx code a failure
            _ = try c.call("declared", "")
            #expect(Self.masked(listener.receive()) == "myservice.server.declared:<ms>|ms\nmyservice.server.declared.success:1|c")
            _ = try c.call("bperror", "503")
            #expect(Self.masked(listener.receive()) == "myservice.server.bperror:<ms>|ms\nmyservice.server.bperror.failure:1|c")
            _ = try c.call("cancellable", "2000")
            #expect(Self.masked(listener.receive()) == """
                myservice.server.cancellable:<ms>|ms
                myservice.server.cancellable.failure:1|c
                myservice.server.cancellable.timed_out:1|c
                """)
            #expect(listener.receive(timeout: 0.2) == nil)  // one datagram per request
        }
    }

    /// The batch is made when the handler first uses `context.metrics`; what it adds goes out
    /// with the server's lines, under the namespace the handler left.
    @Test func handlersOwnMetrics() throws {
        try Self.withServer(["metrics.namespace": "myservice"]) { server, listener in
            let c = try TestClient(port: server.port)
            _ = try c.call("metrics", "count")
            #expect(Self.masked(listener.receive()) == """
                myservice.server.metrics:<ms>|ms
                myservice.custom:1|c
                myservice.server.metrics.success:1|c
                """)
            _ = try c.call("metrics", "namespace")
            #expect(Self.masked(listener.receive()) == "other.server.metrics:<ms>|ms\nother.server.metrics.success:1|c")
            _ = try c.call("metrics", "peek")
            #expect(Self.masked(listener.receive()) == "myservice.server.metrics:<ms>|ms\nmyservice.server.metrics.success:1|c")
            #expect(listener.receive(timeout: 0.2) == nil)
        }
    }

    @Test func sampleRateMarksAndSkips() throws {
        try Self.withServer(["metrics.namespace": "ns", "metrics_observer.sample_rate": "50%"]) { server, listener in
            let c = try TestClient(port: server.port)
            for _ in 0..<200 { _ = try c.call("echo", "x") }
            let datagrams = listener.receiveAll(timeout: 0.5)
            #expect(datagrams.count > 50 && datagrams.count < 150, "\(datagrams.count) of 200 sampled at 50%")
            #expect(datagrams.allSatisfy { Self.masked($0) == "ns.server.echo:<ms>|ms|@0.5\nns.server.echo.success:1|c|@0.5" })
        }
    }

    @Test func taggedServerSpans() throws {
        try Self.withServer(["metrics.tagging": "true", "metrics.allowlist": "protocol, success"]) { server, listener in
            let c = try TestClient(port: server.port)
            _ = try c.call("echo", "x")
            #expect(Self.masked(listener.receive()) == """
                baseplate.server.latency,protocol=thrift,endpoint=echo:<ms>|ms
                baseplate.server.rate,protocol=thrift,endpoint=echo,success=True:1|c
                """)
            _ = try c.call("bperror", "404")  // declared 4xx: a success tagged success=False
            #expect(Self.masked(listener.receive()) == """
                baseplate.server.latency,protocol=thrift,endpoint=bperror,success=False:<ms>|ms
                baseplate.server.rate,protocol=thrift,endpoint=bperror,success=True:1|c
                """)
            _ = try c.call("boom", "")
            #expect(Self.masked(listener.receive()) == """
                baseplate.server.latency,protocol=thrift,endpoint=boom:<ms>|ms
                baseplate.server.rate,protocol=thrift,endpoint=boom,success=False:1|c
                """)
        }
    }

    @Test func namespaceWithTaggingIsAnError() throws {
        let app = BaseplateApp(appConfig: ["metrics.tagging": "true", "metrics.namespace": "x"])
        #expect(throws: ConfigValueError("metrics.namespace not allowed with metrics.tagging")) {
            try app.configureObservers()
        }
        let bad = BaseplateApp(appConfig: ["metrics.namespace": "x", "metrics_observer.sample_rate": "lots"])
        #expect(throws: ConfigurationError.self) { try bad.configureObservers() }
        let none = BaseplateApp(appConfig: [:])
        try none.configureObservers()
        #expect(none.metricsClient == nil && none.observers.isEmpty)
    }

    struct Refused: Error {}

    /// Child spans, incr tags, error logs and the handler's own metrics, driven through the
    /// span API as a client library and a handler would.
    static func exerciseSpans(_ observer: any BaseplateObserver) -> RequestContext {
        let context = RequestContext(method: "greet")
        let server = ServerSpan(traceInfo: TraceInfo.new(), name: "greet", context: context)
        observer.onServerSpanCreated(context: context, serverSpan: server)
        server.setTag("protocol", "thrift")
        server.start()
        context.metrics?.counter("custom").increment()
        let call = server.makeChild("downstream.get_thing")
        call.setTag("ratio", .double(2))
        call.start()
        call.incrTag("cache.hits", 3)
        call.log("error.object", Refused())
        call.finish(error: Refused())
        let local = server.makeChild("render", local: true, componentName: "templates")
        local.start()
        local.incrTag("cache.hits")
        local.finish()
        server.incrTag("cache.hits", 2)
        server.finish()
        return context
    }

    @Test func untaggedChildSpans() throws {
        let listener = try StatsdListener()
        let client = MetricsClient(namespace: "myservice", transport: try MetricsTransport(endpoint: listener.endpoint))
        let context = Self.exerciseSpans(MetricsObserver(client: client))
        #expect(context.metrics != nil)
        #expect(Self.masked(listener.receive()) == """
            myservice.clients.downstream.get_thing:<ms>|ms
            myservice.templates.render:<ms>|ms
            myservice.server.greet:<ms>|ms
            myservice.custom:1|c
            myservice.cache.hits:6|c
            myservice.errors.Refused:1|c
            myservice.clients.downstream.get_thing.failure:1|c
            myservice.server.greet.success:1|c
            """)
        #expect(listener.receive(timeout: 0.2) == nil)
    }

    @Test func taggedChildSpans() throws {
        let listener = try StatsdListener()
        let client = MetricsClient(namespace: "", transport: try MetricsTransport(endpoint: listener.endpoint))
        _ = Self.exerciseSpans(TaggedMetricsObserver(client: client, allowlist: ["ratio"]))
        // each span's metrics go when it finishes; the handler's counter rides with the first
        #expect(listener.receiveAll().map { Self.masked($0) } == [
            """
            baseplate.client.latency,ratio=2.0,client=downstream,endpoint=get_thing:<ms>|ms
            custom:1|c
            cache.hits,ratio=2.0,client=downstream,endpoint=get_thing:3|c
            baseplate.client.rate,ratio=2.0,client=downstream,endpoint=get_thing,success=False:1|c
            """,
            """
            baseplate.local.latency,endpoint=render:<ms>|ms
            cache.hits,endpoint=render:1|c
            baseplate.local.rate,endpoint=render,success=True:1|c
            """,
            """
            baseplate.server.latency,endpoint=greet:<ms>|ms
            cache.hits,endpoint=greet:2|c
            baseplate.server.rate,endpoint=greet,success=True:1|c
            """,
        ])
    }
}
