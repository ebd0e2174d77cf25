import Testing
import Tracing
@testable import Baseplate

/// Spans from swift-distributed-tracing join the request's Zipkin trace.
struct DistributedTracingTests {
    /// A request whose server span went through the observer (as the server does).
    static func request(sampled: Bool?, flags: UInt64? = nil, tracer: TraceObserver) -> RequestContext {
        let context = RequestContext(method: "get_thing")
        let span = ServerSpan(
            traceInfo: TraceInfo(traceID: "100", parentID: "50", spanID: "200", sampled: sampled, flags: flags),
            name: "get_thing", context: context)
        context.span = span
        tracer.onServerSpanCreated(context: context, serverSpan: span)
        span.start()
        return context
    }

    @Test func withSpanInsideAHandlerIsAChildOfTheServerSpan() throws {
        let sink = CollectingSink()
        let observer = TraceObserver.forTests(sink: sink, sampleRate: 0)
        let request = Self.request(sampled: true, tracer: observer)
        var injected: [String: String] = [:]
        withTracer(BaseplateTracer(observer)) {
            DistributedTracing.$request.withValue(request) {
                #expect(DistributedTracing.request === request)
                InstrumentationSystem.tracer.withSpan("db.query", ofKind: .client) { span in
                    span.attributes["db.system"] = "postgresql"
                    span.attributes["rows"] = 3
                    span.addEvent("sent")
                    InstrumentationSystem.tracer.withSpan("decode") { inner in
                        inner.attributes["ok"] = true
                        InstrumentationSystem.instrument.inject(
                            ServiceContext.current ?? .topLevel, into: &injected, using: DictionaryInjector())
                    }
                }
                do {
                    try InstrumentationSystem.tracer.withSpan("fails") { _ in throw Boom() }
                } catch {}
            }
        }
        let spans = sink.take(from: observer.recorder)
        try #require(spans.count == 3)
        let (decode, query, fails) = (spans[0], spans[1], spans[2])
        #expect(spans.allSatisfy { $0.traceID == "100" })
        #expect(query.name == "db.query" && query.kind == .client && query.parentID == "200")
        #expect(decode.name == "decode" && decode.kind == .local && decode.parentID == query.id)
        #expect(fails.parentID == "200")
        #expect(Set(spans.map(\.id)).count == 3 && !spans.contains { $0.id == "200" })
        #expect(query.binaryAnnotations == [
            .init(key: "component", value: "baseplate"), .init(key: "db.system", value: "postgresql"),
            .init(key: "rows", value: "3"),
        ])
        #expect(query.events.map(\.value) == ["sent"])
        #expect(decode.binaryAnnotations == [
            .init(key: "component", value: "baseplate"), .init(key: "lc", value: "decode"), .init(key: "ok", value: "true"),
        ])
        #expect(fails.binaryAnnotations.last == .init(key: "error", value: "true"))
        #expect(query.end >= query.start && query.start > 1_600_000_000_000_000)
        // Outbound calls carry baseplate's headers for the innermost span.
        #expect(injected == ["X-Trace": "100", "X-Span": decode.id, "X-Parent": query.id, "X-Sampled": "1"])
    }

    @Test func unsampledRequestsRecordNothingButPropagate() {
        let sink = CollectingSink()
        let observer = TraceObserver.forTests(sink: sink, sampleRate: 0)
        let request = Self.request(sampled: false, tracer: observer)
        var injected: [String: String] = [:]
        withTracer(BaseplateTracer(observer)) {
            DistributedTracing.$request.withValue(request) {
                InstrumentationSystem.tracer.withSpan("db.query") { span in
                    #expect(!span.isRecording)
                    InstrumentationSystem.tracer.withSpan("inner") { inner in
                        #expect(!inner.isRecording)
                        InstrumentationSystem.instrument.inject(
                            ServiceContext.current ?? .topLevel, into: &injected, using: DictionaryInjector())
                    }
                }
            }
        }
        #expect(sink.take(from: observer.recorder).isEmpty)
        #expect(injected["X-Trace"] == "100" && injected["X-Sampled"] == "0")
    }

    @Test func debugFlagIsCarriedAndAnnotated() throws {
        let sink = CollectingSink()
        let observer = TraceObserver.forTests(sink: sink, sampleRate: 0)
        let request = Self.request(sampled: false, flags: 1, tracer: observer)
        withTracer(BaseplateTracer(observer)) {
            DistributedTracing.$request.withValue(request) {
                InstrumentationSystem.tracer.withSpan("x") { _ in }
            }
        }
        let span = try #require(sink.take(from: observer.recorder).first)
        #expect(span.binaryAnnotations.last == .init(key: "debug", value: "true"))
    }

    @Test func extractContinuesACallersTrace() throws {
        let sink = CollectingSink()
        let observer = TraceObserver.forTests(sink: sink, sampleRate: 0)
        let tracer = BaseplateTracer(observer)
        var context = ServiceContext.topLevel
        tracer.extract(["X-Trace": "9", "X-Span": "8", "X-Sampled": "1"], into: &context, using: DictionaryExtractor())
        tracer.withSpan("handle", context: context, ofKind: .server) { _ in }
        let span = try #require(sink.take(from: observer.recorder).first)
        #expect(span.traceID == "9" && span.parentID == "8" && span.kind == .server)
    }

    @Test func outsideARequestANewTraceAtTheSampleRate() throws {
        let sink = CollectingSink()
        let always = TraceObserver.forTests(sink: sink, sampleRate: 1)
        BaseplateTracer(always).withSpan("job", context: .topLevel) { _ in }
        let span = try #require(sink.take(from: always.recorder).first)
        #expect(span.parentID == nil && span.id == span.traceID)
        let never = TraceObserver.forTests(sink: sink, sampleRate: 0)
        BaseplateTracer(never).withSpan("job", context: .topLevel) { _ in }
        #expect(sink.take(from: never.recorder).isEmpty)
    }
}

struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }
}

struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}
