import Testing
@testable import Baseplate

/// baseplate.py's sampling rules (`should_sample`, `on_server_span_created`) and the
/// `tracing.*` config keys.
struct TracingSamplingTests {
    static func serverSpan(sampled: Bool?, flags: UInt64?) -> ServerSpan {
        ServerSpan(traceInfo: TraceInfo(traceID: "1", parentID: "2", spanID: "3", sampled: sampled, flags: flags),
                   name: "m", context: nil)
    }

    @Test func upstreamDecisionWinsOverTheRate() {
        let never = TraceObserver.forTests(sink: CollectingSink(), sampleRate: 0)
        let always = TraceObserver.forTests(sink: CollectingSink(), sampleRate: 1)
        #expect(never.shouldSample(sampled: true, flags: 0))
        #expect(!always.shouldSample(sampled: false, flags: 0))
        #expect(!always.shouldSample(sampled: false, flags: nil))
        #expect(always.shouldSample(sampled: nil, flags: nil))
        #expect(!never.shouldSample(sampled: nil, flags: nil))
    }

    @Test func debugFlagForcesSampling() {
        let never = TraceObserver.forTests(sink: CollectingSink(), sampleRate: 0)
        #expect(never.shouldSample(sampled: false, flags: 1))
        #expect(never.shouldSample(sampled: nil, flags: 3))
        #expect(!never.shouldSample(sampled: false, flags: 2))
    }

    @Test func rateIsAFraction() {
        let tracer = TraceObserver.forTests(sink: CollectingSink(), sampleRate: 0.25)
        let n = 20_000
        let hits = (0..<n).filter { _ in tracer.shouldSample(sampled: nil, flags: nil) }.count
        // 0.25 ± 5 standard deviations (~0.015).
        #expect(abs(Double(hits) / Double(n) - 0.25) < 0.015, "\(hits) of \(n)")
    }

    @Test func decisionIsWrittenBackAndUnsampledSpansGetNoObservers() {
        let sink = CollectingSink()
        let tracer = TraceObserver.forTests(sink: sink, sampleRate: 0)
        let unsampled = Self.serverSpan(sampled: nil, flags: nil)
        tracer.onServerSpanCreated(context: RequestContext(method: "m"), serverSpan: unsampled)
        #expect(unsampled.sampled == false)
        #expect(unsampled.observers.isEmpty)
        unsampled.start()
        let child = unsampled.makeChild("c", local: true, componentName: "x")
        #expect(child.observers.isEmpty)
        #expect(child.sampled == false)
        child.start()
        child.finish()
        unsampled.finish()
        #expect(sink.take(from: tracer.recorder).isEmpty)

        let forced = Self.serverSpan(sampled: false, flags: 1)
        tracer.onServerSpanCreated(context: RequestContext(method: "m"), serverSpan: forced)
        #expect(forced.sampled == true)
        #expect(forced.observers.count == 1)
        let forcedChild = forced.makeChild("c")
        #expect(forcedChild.sampled == true && forcedChild.observers.count == 1)
    }

    @Test func config() throws {
        let defaults = try TracingConfig(["tracing.service_name": "svc"])
        #expect(defaults == TracingConfig(serviceName: "svc"))
        #expect(defaults.sampleRate == 0.1 && defaults.maxSpanQueueSize == 50_000)
        #expect(defaults.spanBatchInterval == .milliseconds(500))
        let full = try TracingConfig([
            "tracing.service_name": "svc", "tracing.queue_name": "main", "tracing.endpoint": "zipkin:9411",
            "tracing.sample_rate": "37%", "tracing.span_batch_interval": "2 seconds",
            "tracing.max_span_queue_size": "10",
        ])
        #expect(full.queueName == "main")
        #expect(full.endpoint == .inet(host: "zipkin", port: 9411))
        #expect(abs(full.sampleRate - 0.37) < 1e-12)
        #expect(full.spanBatchInterval == .seconds(2) && full.maxSpanQueueSize == 10)
        // Fallback(Percent, Float): a bare fraction is accepted too.
        #expect(try TracingConfig(["tracing.service_name": "s", "tracing.sample_rate": "0.5"]).sampleRate == 0.5)
        #expect(throws: ConfigurationError.self) {
            try TracingConfig(["tracing.service_name": "s", "tracing.sample_rate": "lots"])
        }
        #expect(throws: ConfigurationError.self) {
            try TracingConfig(["tracing.service_name": "s", "tracing.span_batch_interval": "soon"])
        }
    }

    @Test func configureObserversSwitchesTracingOnByServiceName() throws {
        let off = BaseplateApp(appConfig: [:])
        try off.configureObservers()
        #expect(!off.observers.contains { $0 is TraceObserver })
        let on = BaseplateApp(appConfig: ["tracing.service_name": "svc", "tracing.sample_rate": "100%"])
        try on.configureObservers()
        let tracer = try #require(on.observers.compactMap { $0 as? TraceObserver }.first)
        #expect(tracer.sampleRate == 1 && tracer.endpoint.serviceName == "svc")
        #expect(!tracer.endpoint.ipv4.isEmpty)
    }

    @Test func recorderDropsWhenFullAndBatches() {
        let sink = CollectingSink()
        let tracer = TraceObserver.forTests(sink: sink, sampleRate: 1, capacity: 7)
        let span = ZipkinSpan(traceID: "1", name: "a", id: "1", parentID: nil, kind: .local, start: 1, end: 2, binaryAnnotations: [])
        for _ in 0..<10 { tracer.recorder.record(span) }
        #expect(tracer.recorder.droppedTotal.load(ordering: .relaxed) == 3)
        #expect(sink.take(from: tracer.recorder).count == 7)
        #expect(sink.batches == [3, 3, 1])  // maxBatch 3
        tracer.recorder.record(span)
        #expect(sink.take(from: tracer.recorder).count == 1)
    }
}
