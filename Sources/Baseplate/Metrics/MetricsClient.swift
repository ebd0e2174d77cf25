import Logging

/// A statsd client, byte-compatible with baseplate.py's `baseplate.lib.metrics.Client`.
///
/// Names are joined to the namespace as baseplate.py's `_metric_join` does; lines are
/// `name[,tags]:value|type[|@rate]` with values in Python's `%g` (6 significant digits).
/// Metrics sent through the client go out at once, one datagram each; a `batch()` collects a
/// request's metrics and sends them as one datagram when flushed.
public final class MetricsClient: Sendable {
    /// The prefix of every name (may be empty: the tagged observer's client has none).
    public let namespace: String
    public let transport: MetricsTransport

    public init(namespace: String, transport: MetricsTransport) {
        self.namespace = namespace
        self.transport = transport
    }

    /// baseplate.py's `metrics_client_from_config`: `metrics.namespace` (default empty),
    /// `metrics.endpoint` (empty: a client that discards everything),
    /// `metrics.log_if_unconfigured`, `metrics.swallow_network_errors` (both default false).
    /// - Throws: ``ConfigurationError`` for a bad value; ``ConfigValueError`` when the endpoint
    ///   cannot be resolved or connected.
    public static func fromConfig(_ appConfig: [String: String], logger: Logger = MetricsTransport.defaultLogger) throws -> MetricsClient {
        let (namespace, endpoint, logIfUnconfigured, swallow) = try parseConfig(appConfig) { c in
            (try c("metrics.namespace", .optional(.string, default: "")),
             try c("metrics.endpoint", .optional(.endpoint)),
             try c("metrics.log_if_unconfigured", .optional(.boolean, default: false)),
             try c("metrics.swallow_network_errors", .optional(.boolean, default: false)))
        }
        let transport = try endpoint.map { try MetricsTransport(endpoint: $0, swallowNetworkErrors: swallow, logger: logger) }
            ?? MetricsTransport(nullLoggingLines: logIfUnconfigured, logger: logger)
        return MetricsClient(namespace: namespace, transport: transport)
    }

    /// A batch: metrics collected here go out as one datagram at `flush()`.
    public func batch() -> MetricsBatch {
        MetricsBatch(transport: transport, namespace: namespace)
    }

    public func timer(_ name: String, tags: MetricTags = MetricTags()) -> MetricsTimer {
        MetricsTimer(sink: .client(transport), name: MetricName.join(namespace, name), tags: tags)
    }

    public func counter(_ name: String, tags: MetricTags = MetricTags()) -> MetricsCounter {
        MetricsCounter(sink: .client(transport), name: MetricName.join(namespace, name), tags: tags)
    }

    public func gauge(_ name: String, tags: MetricTags = MetricTags()) -> MetricsGauge {
        MetricsGauge(sink: .client(transport), name: MetricName.join(namespace, name), tags: tags)
    }

    public func histogram(_ name: String, tags: MetricTags = MetricTags()) -> MetricsHistogram {
        MetricsHistogram(sink: .client(transport), name: MetricName.join(namespace, name), tags: tags)
    }
}

/// A batch of metrics sent as one datagram (lines joined by `\n`) at `flush()`: baseplate.py's
/// `Batch`. Counters are summed per name and sample rate and written at flush time, after the
/// timers, gauges and histograms.
///
/// A batch belongs to one request (or one runtime report) and is used from one task at a time.
public final class MetricsBatch: @unchecked Sendable {
    // @unchecked: used by one task at a time (the request's, on its loop), like the request.
    /// Prefix of the names made from here on (the runtime monitor appends `.runtime`).
    public var namespace: String
    /// Tags merged under every timer, gauge and histogram made from here on.
    public var baseTags = MetricTags()
    let transport: MetricsTransport
    private var lines: [UInt8] = []
    private var counters: [BatchCounter] = []

    init(transport: MetricsTransport, namespace: String) {
        self.transport = transport
        self.namespace = namespace
    }

    public func timer(_ name: String, tags: MetricTags = MetricTags()) -> MetricsTimer {
        MetricsTimer(sink: .batch(self), name: MetricName.join(namespace, name), tags: baseTags.merging(tags))
    }

    /// The batch's counter of this name: its increments are summed and sent at flush.
    ///
    /// baseplate.py quirk, kept (a second call with the same name and other tags counts into
    /// the first call's line): counters are keyed by name only, and `baseTags` is not merged.
    public func counter(_ name: String, tags: MetricTags = MetricTags()) -> MetricsCounter {
        let joined = MetricName.join(namespace, name)
        let counter = counters.first { $0.name == joined } ?? {
            let made = BatchCounter(name: joined, tags: tags)
            counters.append(made)
            return made
        }()
        return MetricsCounter(sink: .batchCounter(counter), name: joined, tags: counter.tags)
    }

    public func gauge(_ name: String, tags: MetricTags = MetricTags()) -> MetricsGauge {
        MetricsGauge(sink: .batch(self), name: MetricName.join(namespace, name), tags: baseTags.merging(tags))
    }

    public func histogram(_ name: String, tags: MetricTags = MetricTags()) -> MetricsHistogram {
        MetricsHistogram(sink: .batch(self), name: MetricName.join(namespace, name), tags: baseTags.merging(tags))
    }

    /// Adds `delta` to counter `name` (tags taken from the first use of the name): the
    /// observers' path, without a handle.
    func incrementCounter(_ name: String, tags: MetricTags = MetricTags(), delta: Double = 1, sampleRate: Double = 1) {
        counter(name, tags: tags).increment(delta, sampleRate: sampleRate)
    }

    func append(line: (inout [UInt8]) -> Void) {
        if !lines.isEmpty { lines.append(UInt8(ascii: "\n")) }
        line(&lines)
    }

    /// Sends everything collected as one datagram and starts afresh. A datagram too large to
    /// send is dropped with baseplate.py's warning naming the ten largest counters.
    public func flush() {
        let flushed = counters
        counters.removeAll(keepingCapacity: true)
        for counter in flushed {
            for (rate, delta) in zip(counter.rates, counter.deltas) {
                append { MetricLine.write(name: counter.name, tags: counter.tags, value: delta, type: "c", sampleRate: rate, to: &$0) }
            }
        }
        guard !lines.isEmpty else { return }
        let datagram = lines
        lines.removeAll(keepingCapacity: true)
        if transport.send(datagram) == .tooLarge {
            // Python's sorted(reverse=True) is stable: equal totals keep their order.
            let top = flushed.enumerated().sorted { a, b in
                a.element.total != b.element.total ? a.element.total > b.element.total : a.offset < b.offset
            }.prefix(10).map { "\($0.element.name)=\(PythonFloatText.fixed0($0.element.total))" }
            transport.warnRateLimited(
                "Metrics batch of \(datagram.count) bytes is too large to send, flush more often or reduce amount done in this request. See https://baseplate.readthedocs.io/en/latest/guide/faq.html#what-do-i-do-about-metrics-batch-of-n-bytes-is-too-large-to-send. Top counters: \(top.joined(separator: ", "))")
        }
    }
}

/// One counter of a batch: a sum per sample rate, in the order the rates were first used.
final class BatchCounter: @unchecked Sendable {
    // @unchecked: owned by its batch, used by the batch's task only.
    let name: String
    let tags: MetricTags
    var rates: [Double] = []
    var deltas: [Double] = []

    init(name: String, tags: MetricTags) {
        self.name = name
        self.tags = tags
    }

    func add(_ delta: Double, sampleRate: Double) {
        if let i = rates.firstIndex(of: sampleRate) {
            deltas[i] += delta
        } else {
            rates.append(sampleRate)
            deltas.append(0.0 + delta)  // Python's defaultdict(float) sum: -0.0 becomes 0
        }
    }

    var total: Double { deltas.reduce(0, +) }
}

/// Where a metric handle's lines go.
enum MetricSink: Sendable {
    /// Sent at once, one datagram per line.
    case client(MetricsTransport)
    /// Collected until the batch flushes.
    case batch(MetricsBatch)
    /// Summed into a batch's counter.
    case batchCounter(BatchCounter)

    func emit(_ line: (inout [UInt8]) -> Void) {
        switch self {
        case .client(let transport):
            var bytes: [UInt8] = []
            line(&bytes)
            if transport.send(bytes) == .tooLarge {
                transport.warnRateLimited("Failed to send metrics: could not send: message of \(bytes.count) bytes too large")
            }
        case .batch(let batch):
            batch.append(line: line)
        case .batchCounter:
            preconditionFailure("counters of a batch are summed, not emitted")
        }
    }
}

/// A timer: `name:<ms>|ms`.
public struct MetricsTimer: Sendable {
    let sink: MetricSink
    public let name: String
    public private(set) var tags: MetricTags

    /// Adds tags (replacing values of keys already there).
    public mutating func updateTags(_ more: MetricTags) { tags = tags.merging(more) }

    /// Records `seconds` (sent in milliseconds, as baseplate.py does).
    public func send(seconds: Double, sampleRate: Double = 1) {
        let (name, tags) = (self.name, self.tags)
        sink.emit { MetricLine.write(name: name, tags: tags, value: seconds * 1000.0, type: "ms", sampleRate: sampleRate, to: &$0) }
    }

    public func send(_ elapsed: Duration, sampleRate: Double = 1) {
        send(seconds: elapsed.seconds, sampleRate: sampleRate)
    }
}

/// A counter: `name:<delta>|c`.
public struct MetricsCounter: Sendable {
    let sink: MetricSink
    public let name: String
    public let tags: MetricTags

    public func increment(_ delta: Double = 1, sampleRate: Double = 1) {
        if case .batchCounter(let counter) = sink {
            return counter.add(delta, sampleRate: sampleRate)
        }
        let (name, tags) = (self.name, self.tags)
        sink.emit { MetricLine.write(name: name, tags: tags, value: delta, type: "c", sampleRate: sampleRate, to: &$0) }
    }

    public func decrement(_ delta: Double = 1, sampleRate: Double = 1) {
        increment(-delta, sampleRate: sampleRate)
    }
}

/// A gauge: `name:<value>|g`.
public struct MetricsGauge: Sendable {
    let sink: MetricSink
    public let name: String
    public let tags: MetricTags

    /// Sets the gauge. Negative values cannot be sent (statsd reads `-x` as a decrement): they
    /// are dropped (baseplate.py asserts).
    public func replace(_ value: Double) {
        guard value >= 0 else { return }
        let (name, tags) = (self.name, self.tags)
        sink.emit { MetricLine.write(name: name, tags: tags, value: value, type: "g", sampleRate: 1, to: &$0) }
    }
}

/// A histogram sample: `name:<value>|h`.
public struct MetricsHistogram: Sendable {
    let sink: MetricSink
    public let name: String
    public let tags: MetricTags

    public func addSample(_ value: Double) {
        let (name, tags) = (self.name, self.tags)
        sink.emit { MetricLine.write(name: name, tags: tags, value: value, type: "h", sampleRate: 1, to: &$0) }
    }
}

enum MetricName {
    /// baseplate.py's `_metric_join`: empty nodes skipped, dots stripped from both ends of each
    /// other node, joined by `.`.
    static func join(_ namespace: String, _ name: String) -> String {
        let nodes = [namespace, name].filter { !$0.isEmpty }.map { node -> Substring in
            let s = Substring(node)
            guard let first = s.firstIndex(where: { $0 != "." }) else { return "" }
            let last = s.lastIndex(where: { $0 != "." })!
            return s[first...last]
        }
        return nodes.joined(separator: ".")
    }
}

enum MetricLine {
    /// `name[,tags]:value|type[|@rate]`; the rate suffix only when below 1.
    static func write(name: String, tags: MetricTags, value: Double, type: StaticString, sampleRate: Double, to out: inout [UInt8]) {
        out.append(contentsOf: name.utf8)
        tags.append(to: &out)
        out.append(UInt8(ascii: ":"))
        PythonFloatText.appendG(value, to: &out)
        out.append(UInt8(ascii: "|"))
        type.withUTF8Buffer { out.append(contentsOf: $0) }
        if sampleRate < 1 {
            out.append(contentsOf: "|@".utf8)
            PythonFloatText.appendG(sampleRate, to: &out)
        }
    }
}
