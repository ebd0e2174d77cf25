import Synchronization

/// A set of Prometheus metric families, recorded cheaply from any thread (see `MetricShards`)
/// and exposed by `PrometheusExporter` in the text format, aggregated across processes when
/// `PROMETHEUS_MULTIPROC_DIR` is set.
///
/// Families are declared once (usually as statics); `labels(...)` finds or makes a series and
/// returns a small handle to keep: recording through a handle costs a thread-local lookup and
/// a few loads and stores.
public final class MetricsRegistry: Sendable {
    /// The registry baseplate's own metrics (`thrift_server_*`, `thrift_client_*`) live in, and
    /// the one `baseplate-serve` exports.
    public static let shared = MetricsRegistry()

    let shards = MetricShards()
    private let state = Mutex<State>(State())

    struct State {
        var families: [String: MetricFamily] = [:]
        /// Words below `sinkWords` are never exported: series made once the registry is full
        /// record there rather than fail.
        var nextWord = MetricsRegistry.sinkWords
        var fullWarned = false
    }

    static let sinkWords = MetricShards.pageWords

    public init() {}

    /// A counter family. `name` is the exposed name (`..._total` by convention).
    public func counter(_ name: String, help: String, labels: [String] = []) -> CounterFamily {
        CounterFamily(family(name, help: help, labels: labels, kind: .counter))
    }

    /// A gauge family; `mode` says how values of several processes combine (see `GaugeMode`).
    public func gauge(_ name: String, help: String, labels: [String] = [], mode: GaugeMode = .all) -> GaugeFamily {
        GaugeFamily(family(name, help: help, labels: labels, kind: .gauge(mode)))
    }

    /// A histogram family with upper bounds `buckets` (ascending; `+Inf` is implied).
    public func histogram(
        _ name: String, help: String, labels: [String] = [], buckets: [Double] = Histogram.defaultBuckets
    ) -> HistogramFamily {
        var bounds = buckets.filter { $0 != .infinity }
        precondition(bounds == bounds.sorted() && Set(bounds).count == bounds.count, "\(name): buckets must ascend")
        precondition(bounds.count < Self.sinkWords - 2, "\(name): too many buckets")
        bounds.append(.infinity)
        return HistogramFamily(family(name, help: help, labels: labels, kind: .histogram(bounds)))
    }

    private func family(_ name: String, help: String, labels: [String], kind: MetricFamily.Kind) -> MetricFamily {
        state.withLock { state in
            if let existing = state.families[name] {
                precondition(existing.kind == kind && existing.labelNames == labels,
                             "metric \(name) declared twice with different types or labels")
                return existing
            }
            let family = MetricFamily(registry: self, name: name, help: help, labelNames: labels, kind: kind)
            state.families[name] = family
            return family
        }
    }

    /// Numbers `count` words for a new series (sink words once the registry is full).
    func allocate(_ count: Int) -> Int {
        state.withLock { state in
            guard state.nextWord + count <= MetricShards.capacity else { return 0 }
            defer { state.nextWord += count }
            return state.nextWord
        }
    }

    var families: [MetricFamily] {
        state.withLock { Array($0.families.values) }.sorted { $0.name < $1.name }
    }
}

/// How a gauge's values from several processes combine (prometheus_client's multiprocess
/// modes; only the two baseplate uses).
public enum GaugeMode: String, Sendable {
    /// One series per process, labelled `pid`; prometheus_client's default.
    case all
    /// The sum over live processes, no `pid` label (e.g. requests in flight).
    case livesum
}

/// One declared metric and its series.
final class MetricFamily: Sendable {
    enum Kind: Equatable, Sendable {
        case counter
        case gauge(GaugeMode)
        case histogram([Double])
    }

    // Strong: a registry with families lives for the process (handles point into it).
    let registry: MetricsRegistry
    let name: String
    let help: String
    let labelNames: [String]
    let kind: Kind
    /// Histogram upper bounds, +Inf last (immortal, shared by every handle).
    let bounds: Bounds
    private let series = Mutex<[[String]: Int]>([:])

    init(registry: MetricsRegistry, name: String, help: String, labelNames: [String], kind: Kind) {
        self.registry = registry
        self.name = name
        self.help = help
        self.labelNames = labelNames
        self.kind = kind
        bounds = if case .histogram(let b) = kind { Bounds(b) } else { Bounds([]) }
    }

    /// Words per series: one, or one per bucket plus the sum for a histogram.
    var width: Int { if case .histogram(let b) = kind { b.count + 1 } else { 1 } }

    /// The first word of the series with these label values, made on first use.
    func word(for values: [String]) -> Int {
        precondition(values.count == labelNames.count,
                     "\(name): \(labelNames.count) label value(s) expected, got \(values.count)")
        if let word = series.withLock({ $0[values] }) { return word }
        let fresh = registry.allocate(width)
        return series.withLock { series in
            if let raced = series[values] { return raced }  // a few words lost; harmless
            if fresh != 0 { series[values] = fresh }
            return fresh
        }
    }

    /// Every series: label values and first word, in label order.
    var allSeries: [(values: [String], word: Int)] {
        series.withLock { $0.map { ($0.key, $0.value) } }.sorted { $0.values.lexicographicallyPrecedes($1.values) }
    }
}

/// A histogram's bucket bounds in memory that is never freed, so handles can point at it
/// without reference counting.
struct Bounds: @unchecked Sendable {
    // @unchecked: written once at creation, read-only after.
    let base: UnsafeMutablePointer<Double>
    let count: Int

    init(_ values: [Double]) {
        base = .allocate(capacity: max(values.count, 1))
        base.initialize(from: values, count: values.count)
        count = values.count
    }

    subscript(i: Int) -> Double { base[i] }
}
