// Usage: bench VARIANT REQUESTS [THREADS]
// Records REQUESTS server requests (active +1/-1, requests_total +1, latency histogram) per
// thread the way each variant would on the request path, and prints ns per request.
// Instructions per request: run under callgrind at two REQUESTS counts and divide the
// difference (setup cancels out).
import BaseplatePrometheus
import CoreMetrics
import Dispatch
import Prometheus

let args = CommandLine.arguments
let variant = args.count > 1 ? args[1] : "ours"
let requests = args.count > 2 ? Int(args[2])! : 1_000_000
let threads = args.count > 3 ? Int(args[3])! : 1
let latency = Duration.microseconds(40)
let buckets = BaseplatePrometheus.Histogram.baseplateLatencyBuckets

/// One thread's request loop for a variant.
func makeLoop() -> @Sendable (Int) -> Void {
    switch variant {
    case "ours":
        // Handles resolved once per method per loop (as the server does).
        let metrics = ThriftServerMetrics.shared
        return { n in
            let cache = ThriftServerMetrics.Cache(metrics)
            for _ in 0..<n {
                let m = cache.method("greet")
                m.started()
                m.finished(success: true, latency: latency)
            }
        }
    case "swift-prometheus":
        // swift-prometheus's own API with handles made once (its cheapest use).
        let registry = PrometheusCollectorRegistry()
        let active = registry.makeGauge(name: "thrift_server_active_requests", labels: [("thrift_method", "greet")])
        let total = registry.makeCounter(name: "thrift_server_requests_total", labels: [
            ("thrift_method", "greet"), ("thrift_success", "true"), ("thrift_exception_type", ""),
            ("thrift_baseplate_status", ""), ("thrift_baseplate_status_code", ""),
        ])
        let hist = registry.makeDurationHistogram(
            name: "thrift_server_latency_seconds", labels: [("thrift_method", "greet"), ("thrift_success", "true")],
            buckets: buckets.map { Duration.nanoseconds(Int64($0 * 1e9)) })
        return { n in
            for _ in 0..<n {
                active.increment()
                active.decrement()
                total.increment()
                hist.record(latency)
            }
        }
    case "swift-prometheus-lookup":
        // Label set looked up per request through the registry (as a per-request labels call).
        let registry = PrometheusCollectorRegistry()
        let durations = buckets.map { Duration.nanoseconds(Int64($0 * 1e9)) }
        return { n in
            for _ in 0..<n {
                let active = registry.makeGauge(name: "thrift_server_active_requests", labels: [("thrift_method", "greet")])
                active.increment()
                active.decrement()
                registry.makeCounter(name: "thrift_server_requests_total", labels: [
                    ("thrift_method", "greet"), ("thrift_success", "true"), ("thrift_exception_type", ""),
                    ("thrift_baseplate_status", ""), ("thrift_baseplate_status_code", ""),
                ]).increment()
                registry.makeDurationHistogram(
                    name: "thrift_server_latency_seconds",
                    labels: [("thrift_method", "greet"), ("thrift_success", "true")], buckets: durations
                ).record(latency)
            }
        }
    case "swift-metrics":
        // swift-metrics' API over swift-prometheus (the "swift-metrics / swift-prometheus"):
        // metric objects made per request with their dimensions, as swift-metrics code does.
        var factory = PrometheusMetricsFactory(registry: PrometheusCollectorRegistry())
        factory.defaultDurationHistogramBuckets = buckets.map { Duration.nanoseconds(Int64($0 * 1e9)) }
        MetricsSystem.bootstrap(factory)
        return { n in
            for _ in 0..<n {
                let active = Meter(label: "thrift_server_active_requests", dimensions: [("thrift_method", "greet")])
                active.increment()
                active.decrement()
                CoreMetrics.Counter(label: "thrift_server_requests_total", dimensions: [
                    ("thrift_method", "greet"), ("thrift_success", "true"), ("thrift_exception_type", ""),
                    ("thrift_baseplate_status", ""), ("thrift_baseplate_status_code", ""),
                ]).increment()
                CoreMetrics.Timer(label: "thrift_server_latency_seconds",
                                  dimensions: [("thrift_method", "greet"), ("thrift_success", "true")]).recordNanoseconds(40_000)
            }
        }
    default:
        fatalError("unknown variant \(variant)")
    }
}

let loop = makeLoop()
let start = ContinuousClock.now
DispatchQueue.concurrentPerform(iterations: threads) { _ in loop(requests) }
let elapsed = ContinuousClock.now - start
let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
print("\(variant) threads=\(threads) requests/thread=\(requests) ns/request(wall)=\((ns / Double(requests) * 10).rounded() / 10)")
