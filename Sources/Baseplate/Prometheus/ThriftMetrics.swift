import Synchronization

/// The series of one method (server) or one client's method: resolved once, then recording
/// costs a thread-local lookup and a few stores. Failures' counters are found by outcome in a
/// small map (the failure path only).
public final class ThriftMethodMetrics: Sendable {
    public let method: String
    let active: Gauge
    let latencySuccess: Histogram
    let latencyFailure: Histogram
    let requestsSuccess: Counter
    private let requests: CounterFamily
    private let leadingLabels: [String]
    private let failures = Mutex<[Outcome: Counter]>([:])

    init(method: String, leadingLabels: [String], active: GaugeFamily, latency: HistogramFamily, requests: CounterFamily) {
        self.method = method
        self.leadingLabels = leadingLabels
        self.requests = requests
        self.active = active.labels(leadingLabels)
        latencySuccess = latency.labels(leadingLabels + ["true"])
        latencyFailure = latency.labels(leadingLabels + ["false"])
        requestsSuccess = requests.labels(leadingLabels + ["true", "", "", ""])
    }

    /// A call started: counts in `*_active_requests`.
    public func started() {
        let table = active.ref.current()
        MetricShards.add(table, active.word, 1)
    }

    /// A call finished after `latency`: `*_active_requests` down, `*_requests_total` and
    /// `*_latency_seconds` recorded. The labels are baseplate.py's: `success` only when no
    /// exception was raised (declared ones included), the exception's type name, and for
    /// baseplate's `Error` its `ErrorCode` name and code (see `RequestOutcomeLabels`).
    public func finished(
        success: Bool, exceptionType: String = "", baseplateStatus: String = "", baseplateStatusCode: String = "",
        latency: Duration
    ) {
        let table = active.ref.current()
        MetricShards.add(table, active.word, -1)
        let counter = success && exceptionType.isEmpty && baseplateStatus.isEmpty && baseplateStatusCode.isEmpty
            ? requestsSuccess
            : failureCounter(Outcome(success: success, exceptionType: exceptionType,
                                     baseplateStatus: baseplateStatus, baseplateStatusCode: baseplateStatusCode))
        MetricShards.add(table, counter.word, 1)
        (success ? latencySuccess : latencyFailure).observe(latency, table: table)
    }

    private struct Outcome: Hashable {
        var success: Bool
        var exceptionType: String
        var baseplateStatus: String
        var baseplateStatusCode: String

        var labelValues: [String] {
            [success ? "true" : "false", exceptionType, baseplateStatus, baseplateStatusCode]
        }
    }

    private func failureCounter(_ outcome: Outcome) -> Counter {
        if let counter = failures.withLock({ $0[outcome] }) { return counter }
        let counter = requests.labels(leadingLabels + outcome.labelValues)
        failures.withLock { $0[outcome] = counter }
        return counter
    }
}

extension Histogram {
    @inline(__always)
    func observe(_ duration: Duration, table: MetricShards.Table) {
        let value = seconds(duration)
        var bucket = 0
        while bucket < bounds.count - 1 && !(value <= bounds[bucket]) { bucket += 1 }
        MetricShards.add(table, word + bucket, 1)
        MetricShards.add(table, word + bounds.count, value)
    }
}

/// baseplate.py's Thrift server metrics (`baseplate/frameworks/thrift/__init__.py`, v2.7.0):
///
///     thrift_server_latency_seconds{thrift_method, thrift_success}     histogram
///     thrift_server_requests_total{thrift_method, thrift_success, thrift_exception_type,
///                                  thrift_baseplate_status, thrift_baseplate_status_code}
///     thrift_server_active_requests{thrift_method}                     gauge, livesum
///
/// The server keeps one `Cache` per event loop and, per request, calls `started` when the
/// handler starts and `finished` when it has answered. Unknown methods are not recorded.
public final class ThriftServerMetrics: Sendable {
    public static let shared = ThriftServerMetrics(registry: .shared)

    let latency: HistogramFamily
    let requests: CounterFamily
    let active: GaugeFamily
    private let methods = Mutex<[String: ThriftMethodMetrics]>([:])

    public init(registry: MetricsRegistry) {
        latency = registry.histogram(
            "thrift_server_latency_seconds", help: "Time spent processing requests",
            labels: ["thrift_method", "thrift_success"], buckets: Histogram.baseplateLatencyBuckets)
        requests = registry.counter(
            "thrift_server_requests_total", help: "Total RPC request count",
            labels: ["thrift_method", "thrift_success", "thrift_exception_type",
                     "thrift_baseplate_status", "thrift_baseplate_status_code"])
        active = registry.gauge(
            "thrift_server_active_requests", help: "The number of in-flight requests being handled by the service",
            labels: ["thrift_method"], mode: .livesum)
    }

    /// The method's series (made on first use; one lock). Keep the result: see `Cache`.
    public func method(_ name: String) -> ThriftMethodMetrics {
        methods.withLock { methods in
            if let known = methods[name] { return known }
            let made = ThriftMethodMetrics(method: name, leadingLabels: [name], active: active, latency: latency, requests: requests)
            methods[name] = made
            return made
        }
    }

    /// Method handles by name for one thread (an event loop): no lock, and for the few
    /// methods a service has, string comparisons instead of hashing. Not thread-safe.
    public final class Cache {
        private let metrics: ThriftServerMetrics
        // One thread only: no exclusivity checks (they cost ~60 instructions a lookup).
        @exclusivity(unchecked) private var recent: [ThriftMethodMetrics] = []
        @exclusivity(unchecked) private var others: [String: ThriftMethodMetrics] = [:]

        public init(_ metrics: ThriftServerMetrics = .shared) {
            self.metrics = metrics
        }

        public func method(_ name: String) -> ThriftMethodMetrics {
            for m in recent where m.method == name { return m }
            if let m = others[name] { return m }
            let m = metrics.method(name)
            if recent.count < 8 { recent.append(m) } else { others[name] = m }
            return m
        }
    }
}

/// baseplate.py's Thrift client metrics (`baseplate/clients/thrift.py`):
///
///     thrift_client_latency_seconds{thrift_method, thrift_client_name, thrift_success}
///     thrift_client_requests_total{thrift_method, thrift_client_name, thrift_success,
///         thrift_exception_type, thrift_baseplate_status, thrift_baseplate_status_code}
///     thrift_client_active_requests{thrift_method, thrift_client_name}   gauge, livesum
///     thrift_client_pool_max_size{thrift_pool}                           gauge (pid label)
///     thrift_client_pool_active_connections{thrift_pool}                 gauge (pid label)
public final class ThriftClientMetrics: Sendable {
    public static let shared = ThriftClientMetrics(registry: .shared)

    let latency: HistogramFamily
    let requests: CounterFamily
    let active: GaugeFamily
    let poolMaxSize: GaugeFamily
    let poolActiveConnections: GaugeFamily
    private let methods = Mutex<[[String]: ThriftMethodMetrics]>([:])

    public init(registry: MetricsRegistry) {
        latency = registry.histogram(
            "thrift_client_latency_seconds", help: "Latency of thrift client requests",
            labels: ["thrift_method", "thrift_client_name", "thrift_success"],
            buckets: Histogram.baseplateLatencyBuckets)
        requests = registry.counter(
            "thrift_client_requests_total", help: "Total number of outgoing requests",
            labels: ["thrift_method", "thrift_client_name", "thrift_success", "thrift_exception_type",
                     "thrift_baseplate_status", "thrift_baseplate_status_code"])
        active = registry.gauge(
            "thrift_client_active_requests", help: "number of in-flight requests",
            labels: ["thrift_method", "thrift_client_name"], mode: .livesum)
        poolMaxSize = registry.gauge(
            "thrift_client_pool_max_size", help: "Maximum number of connections in this thrift pool before blocking",
            labels: ["thrift_pool"])
        poolActiveConnections = registry.gauge(
            "thrift_client_pool_active_connections", help: "Number of connections currently in use in this thrift pool",
            labels: ["thrift_pool"])
    }

    /// The series of `method` called through the client named `client` (the context
    /// attribute name, baseplate's `thrift_client_name`). Keep the result.
    public func method(_ method: String, client: String) -> ThriftMethodMetrics {
        methods.withLock { methods in
            if let known = methods[[method, client]] { return known }
            let made = ThriftMethodMetrics(method: method, leadingLabels: [method, client], active: active, latency: latency, requests: requests)
            methods[[method, client]] = made
            return made
        }
    }

    /// The pool gauges of the pool named `pool`: set `maxSize` once, move `activeConnections`
    /// with `inc`/`dec` as connections are checked out and back.
    public func pool(_ pool: String) -> (maxSize: Gauge, activeConnections: Gauge) {
        (poolMaxSize.labels(pool), poolActiveConnections.labels(pool))
    }
}
