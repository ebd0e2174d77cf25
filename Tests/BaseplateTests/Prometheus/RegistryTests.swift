@testable import Baseplate
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The registry: per-thread shards summed at scrape time lose nothing under concurrency.
@Suite struct RegistryTests {
    @Test func concurrentRecordingFromManyThreadsSumsExactly() {
        let registry = MetricsRegistry()
        let counter = registry.counter("c_total", help: "c", labels: ["k"]).labels("v")
        let gauge = registry.gauge("g", help: "g", mode: .livesum).labels()
        let histogram = registry.histogram("h", help: "h", buckets: [0.5, 1]).labels()
        let threads = 6, perThread = 50_000
        runThreads(threads) { t in
            for i in 0..<perThread {
                counter.inc()
                gauge.inc(2)
                gauge.dec()
                histogram.observe(Double((i + t) % 3) * 0.5)  // 0, 0.5, 1.0
            }
        }
        #expect(counter.value == Double(threads * perThread))
        #expect(gauge.value == Double(threads * perThread))
        #expect(histogram.count == Double(threads * perThread))
        let text = Exposition.render(Exposition.merge([.init(pid: "1", samples: registry.rawSamples())]))
        // 0 and 0.5 fall in le=0.5 (two thirds), 1.0 in le=1.0; cumulative.
        let total = threads * perThread
        #expect(text.contains("h_bucket{le=\"0.5\"} \(goFloat(Double(total * 2 / 3)))"))
        #expect(text.contains("h_bucket{le=\"+Inf\"} \(goFloat(Double(total)))"))
        #expect(text.contains("h_count \(goFloat(Double(total)))"))
    }

    @Test func countsOfExitedThreadsAreKeptAndTheirShardReused() {
        let registry = MetricsRegistry()
        let counter = registry.counter("c_total", help: "c").labels()
        for _ in 0..<20 { runThreads(1) { _ in counter.inc(3) } }
        #expect(counter.value == 60)
    }

    @Test func labelsResolveToTheSameSeriesAndFamiliesAreIdempotent() {
        let registry = MetricsRegistry()
        registry.counter("x_total", help: "x", labels: ["a"]).labels("1").inc()
        registry.counter("x_total", help: "x", labels: ["a"]).labels("1").inc()
        registry.counter("x_total", help: "x", labels: ["a"]).labels("2").inc()
        #expect(registry.counter("x_total", help: "x", labels: ["a"]).labels("1").value == 2)
        #expect(registry.rawSamples().count == 2)
    }

    @Test func gaugeSetAbsorbsOtherThreadsShares() {
        let registry = MetricsRegistry()
        let gauge = registry.gauge("g", help: "g").labels()
        runThreads(3) { _ in gauge.inc(5) }
        gauge.set(4)
        #expect(gauge.value == 4)
        gauge.dec()
        #expect(gauge.value == 3)
    }

    @Test func serverMethodMetricsRecordBaseplateLabels() {
        let registry = MetricsRegistry()
        let metrics = ThriftServerMetrics(registry: registry)
        let cache = ThriftServerMetrics.Cache(metrics)
        let greet = cache.method("greet")
        #expect(cache.method("greet") === greet)
        greet.started()
        greet.started()
        greet.finished(success: true, latency: .microseconds(50))
        greet.finished(success: false, exceptionType: "TooManyRecipients", latency: .milliseconds(2))
        let text = Exposition.render(Exposition.merge([.init(pid: "1", samples: registry.rawSamples())]))
        #expect(text.contains("thrift_server_active_requests{thrift_method=\"greet\"} 0.0\n"))
        #expect(text.contains("""
            thrift_server_requests_total{thrift_baseplate_status="",thrift_baseplate_status_code="",\
            thrift_exception_type="TooManyRecipients",thrift_method="greet",thrift_success="false"} 1.0
            """))
        #expect(text.contains("""
            thrift_server_requests_total{thrift_baseplate_status="",thrift_baseplate_status_code="",\
            thrift_exception_type="",thrift_method="greet",thrift_success="true"} 1.0
            """))
        // baseplate's latency buckets: 50 µs is in the first (100 µs); 2 ms in le=0.0025.
        #expect(text.contains("thrift_server_latency_seconds_bucket{thrift_method=\"greet\",thrift_success=\"true\",le=\"0.0001\"} 1.0"))
        #expect(text.contains("thrift_server_latency_seconds_bucket{thrift_method=\"greet\",thrift_success=\"false\",le=\"0.001\"} 0.0"))
        #expect(text.contains("thrift_server_latency_seconds_bucket{thrift_method=\"greet\",thrift_success=\"false\",le=\"0.0025\"} 1.0"))
        #expect(text.contains("thrift_server_latency_seconds_bucket{thrift_method=\"greet\",thrift_success=\"false\",le=\"30.0\"} 1.0"))
        #expect(text.contains("thrift_server_latency_seconds_sum{thrift_method=\"greet\",thrift_success=\"false\"} 0.002\n"))
    }
}

/// Runs `body(i)` on `count` new OS threads and waits for them.
func runThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    final class Box: @unchecked Sendable {
        let body: @Sendable (Int) -> Void
        let index: Int
        init(_ body: @escaping @Sendable (Int) -> Void, _ index: Int) { self.body = body; self.index = index }
    }
    var threads: [pthread_t] = []
    for i in 0..<count {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(Box(body, i)).toOpaque()
        pthread_create(&thread, nil, { arg in
            let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
            box.body(box.index)
            return nil
        }, box)
        threads.append(thread)
    }
    for thread in threads { pthread_join(thread, nil) }
}
