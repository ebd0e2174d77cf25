/// baseplate.py's `TaggedMetricsBaseplateObserver` (switched on by `metrics.tagging`; names
/// have no namespace): `baseplate.server.latency` / `.rate`, `baseplate.local.*` and
/// `baseplate.client.*`, tagged with the span's tags that `metrics.allowlist` names (plus
/// `client` and `endpoint`) and, on `.rate`, `success=True|False`. Each span's metrics are
/// sent when it finishes.
public final class TaggedMetricsObserver: BaseplateObserver {
    public let client: MetricsClient
    /// Tag keys sent; `client` and `endpoint` are always among them.
    public let allowlist: Set<String>
    public let sampleRate: Double

    public init(client: MetricsClient, allowlist: Set<String>, sampleRate: Double = 1) {
        self.client = client
        self.allowlist = allowlist.union(["client", "endpoint"])
        self.sampleRate = sampleRate
    }

    public func onServerSpanCreated(context: RequestContext, serverSpan: ServerSpan) {
        let batch = client.batch()
        context.metrics = batch
        if sampleRate >= 1 || MetricsSampling.draw() < sampleRate {
            serverSpan.register(TaggedSpanMetrics(batch: batch, kind: .server, allowlist: allowlist, sampleRate: sampleRate))
        } else {
            serverSpan.register(UnsampledSpanMetrics.shared)
        }
    }
}

final class TaggedSpanMetrics: SpanObserver, @unchecked Sendable {
    // @unchecked: a span's observers are used by the span's task only.
    enum Kind: String {
        case server = "baseplate.server"
        case local = "baseplate.local"
        case client = "baseplate.client"
    }

    let batch: MetricsBatch
    let kind: Kind
    let allowlist: Set<String>
    let sampleRate: Double
    var tags = MetricTags()
    /// `incrTag` deltas by key; baseplate.py keeps the last delta, not the sum (kept: the
    /// counters dashboards show were made that way).
    var counters: [(key: String, delta: Double)] = []

    init(batch: MetricsBatch, kind: Kind, allowlist: Set<String>, sampleRate: Double) {
        self.batch = batch
        self.kind = kind
        self.allowlist = allowlist
        self.sampleRate = sampleRate
    }

    func onStart(_ span: Span) {
        if kind == .client {
            // Python's rpartition(".") of "<client>.<method>".
            if let dot = span.name.lastIndex(of: ".") {
                tags["client"] = String(span.name[..<dot])
                tags["endpoint"] = String(span.name[span.name.index(after: dot)...])
            } else {
                tags["client"] = ""
                tags["endpoint"] = span.name
            }
        } else {
            tags["endpoint"] = span.name
        }
    }

    func onSetTag(_ span: Span, key: String, value: SpanTagValue) {
        tags[key] = value.pythonText
    }

    func onIncrTag(_ span: Span, key: String, delta: Double) {
        if let i = counters.firstIndex(where: { $0.key == key }) {
            counters[i].delta = delta
        } else {
            counters.append((key, delta))
        }
    }

    func onChildSpanCreated(_ parent: Span, child: Span) {
        guard kind != .client else { return }
        let childKind: Kind = child is LocalSpan ? .local : .client
        child.register(TaggedSpanMetrics(batch: batch, kind: childKind, allowlist: allowlist, sampleRate: sampleRate))
    }

    func onFinish(_ span: Span, error: (any Error)?) {
        var filtered = MetricTags()
        for (key, value) in zip(tags.keys, tags.values) where allowlist.contains(key) {
            filtered[key] = value
        }
        for (key, delta) in counters {
            batch.addCounter(MetricPath(key), tags: filtered, delta: delta, sampleRate: sampleRate)
        }
        if let milliseconds = span.elapsedMilliseconds {
            batch.addTimer(MetricPath(kind.rawValue, ".latency"), milliseconds: milliseconds, sampleRate: sampleRate, tags: filtered)
        }
        var rateTags = filtered
        rateTags["success"] = MetricTags.text(error == nil)
        batch.addCounter(MetricPath(kind.rawValue, ".rate"), tags: rateTags, sampleRate: sampleRate)
        batch.flush()
    }
}
