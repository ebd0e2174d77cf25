import Glibc
import Logging
import Testing
import Tracing
@testable import Baseplate

/// The server binds each request as the swift-distributed-tracing context while its handler
/// runs (tracing on), so `withSpan` in a handler records a child of the server span.
struct TracingServerTests {
    /// "traced": the handler opens a client span and a nested local span, then replies.
    struct TracedProcessor: ThriftProcessor {
        func makeCall(_ method: String, reader: inout BinaryReader) throws(ThriftProtocolError) -> ThriftCall? {
            try call(method, &reader)
        }

        func makeCall(_ method: String, reader: inout CompactReader) throws(ThriftProtocolError) -> ThriftCall? {
            try call(method, &reader)
        }

        private func call<R: ThriftReader>(_ method: String, _ reader: inout R) throws(ThriftProtocolError) -> ThriftCall? {
            guard method == "traced" else { return nil }
            let args = try StringArg(from: &reader)
            return ThriftCall { _, responder in
                await InstrumentationSystem.tracer.withSpan("db.query", ofKind: .client) { span in
                    span.attributes["db.statement"] = args.value
                    try? await Task.sleep(for: .milliseconds(1))  // across a suspension
                    InstrumentationSystem.tracer.withSpan("decode") { _ in }
                }
                responder.reply(StringArg(id: 0, value: args.value))
            }
        }
    }

    @Test func handlerSpansJoinTheRequestTrace() throws {
        let sink = CollectingSink()
        let observer = TraceObserver.forTests(sink: sink, sampleRate: 0)
        let baseplate = BaseplateApp(appConfig: [:])
        baseplate.register(observer)
        // What the tracing family of configureObservers does (the bootstrap is once per process;
        // spans of a request go to that request's own observer whichever tracer was installed).
        DistributedTracing.install(observer, logger: Logger(label: "test"))

        var config = ThriftServer.Configuration(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1)
        config.maxFrameSize = 1 << 20
        let server = try ThriftServer(configuration: config, processor: TracedProcessor(), baseplate: baseplate,
                                      logger: Logger(label: "test"))
        try server.start()
        defer { server.shutdown(timeout: .seconds(2)) }
        let client = try TestClient(port: server.port)
        let reply = try client.call("traced", "select 1", headers: [("Trace", "42"), ("Span", "43"), ("Sampled", "1")])
        #expect(reply.value == "select 1")
        _ = try client.call("traced", "unsampled", headers: [("Trace", "52"), ("Span", "53"), ("Sampled", "0")])

        var spans: [ZipkinSpan] = []
        let deadline = ContinuousClock.now + .seconds(5)
        while spans.count < 3 && ContinuousClock.now < deadline {
            usleep(10_000)
            spans += sink.take(from: observer.recorder)
        }
        try #require(spans.count == 3, "\(spans)")
        let byName = Dictionary(uniqueKeysWithValues: spans.map { ($0.name, $0) })
        let server_ = try #require(byName["traced"])
        let query = try #require(byName["db.query"])
        let decode = try #require(byName["decode"])
        #expect(spans.allSatisfy { $0.traceID == "42" })
        #expect(server_.id == "43" && server_.kind == .server)
        #expect(query.parentID == "43" && query.kind == .client)
        #expect(query.binaryAnnotations.contains(.init(key: "db.statement", value: "select 1")))
        #expect(decode.parentID == query.id && decode.kind == .local)
        usleep(100_000)
        #expect(sink.take(from: observer.recorder).isEmpty)  // nothing from the unsampled request
    }
}
