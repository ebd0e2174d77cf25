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
/// The observers' path through it allocates only the batch's two buffers: names are joined on
/// the stack, straight into the datagram.
public final class MetricsBatch: @unchecked Sendable {
    // @unchecked: used by one task at a time (the request's, on its loop), like the request.
    /// Prefix of the names made from here on (the runtime monitor appends `.runtime`).
    // @exclusivity(unchecked): one task uses a batch at a time; the dynamic checks cost
    // hundreds of instructions per request (callgrind).
    @exclusivity(unchecked) public var namespace: String
    /// Tags merged under every timer, gauge and histogram made from here on.
    @exclusivity(unchecked) public var baseTags = MetricTags()
    let transport: MetricsTransport
    @exclusivity(unchecked) private var lines: [UInt8] = []
    /// Counters in order of first use (`counters`' element i is counter i + 1): most batches
    /// have a single counter, kept inline.
    @exclusivity(unchecked) private var firstCounter: CounterEntry?
    @exclusivity(unchecked) private var counters: [CounterEntry] = []
    /// Bumped by each flush: counter handles from before it count into nothing, as
    /// baseplate.py's orphaned `BatchCounter`s do.
    @exclusivity(unchecked) private(set) var generation: UInt64 = 0

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
        let index = counterIndex(JoinedMetricName(namespace, MetricPath(name)), tags: tags)
        return MetricsCounter(
            sink: .batchCounter(self, index: index, generation: generation),
            name: MetricName.join(namespace, name), tags: index == 0 ? firstCounter!.tags : counters[index - 1].tags)
    }

    public func gauge(_ name: String, tags: MetricTags = MetricTags()) -> MetricsGauge {
        MetricsGauge(sink: .batch(self), name: MetricName.join(namespace, name), tags: baseTags.merging(tags))
    }

    public func histogram(_ name: String, tags: MetricTags = MetricTags()) -> MetricsHistogram {
        MetricsHistogram(sink: .batch(self), name: MetricName.join(namespace, name), tags: baseTags.merging(tags))
    }

    // MARK: the observers' path (no handles, no name strings)

    /// A timer line for `path` (`baseTags` merged under `tags`).
    func addTimer(_ path: MetricPath, milliseconds: Double, sampleRate: Double, tags: MetricTags = MetricTags()) {
        let merged = baseTags.merging(tags)
        MetricName.withJoined(namespace, path) { name in
            append { MetricLine.write(name: name, tags: merged, value: milliseconds, type: "ms", sampleRate: sampleRate, to: &$0) }
        }
    }

    /// A timer line for a name already joined to this batch's namespace (no tags).
    func addTimer(joined name: JoinedMetricName, milliseconds: Double, sampleRate: Double) {
        let tags = baseTags
        name.bytes.withUnsafeBufferPointer { name in
            append { MetricLine.write(name: name, tags: tags, value: milliseconds, type: "ms", sampleRate: sampleRate, to: &$0) }
        }
    }

    /// Adds `delta` to the counter `path` (tags from the name's first use).
    func addCounter(_ path: MetricPath, tags: MetricTags = MetricTags(), delta: Double = 1, sampleRate: Double = 1) {
        addToCounter(counterIndex(JoinedMetricName(namespace, path), tags: tags), delta: delta, sampleRate: sampleRate)
    }

    /// Adds 1 to the counter of a name already joined to this batch's namespace.
    func addCounter(joined name: JoinedMetricName, sampleRate: Double) {
        addToCounter(counterIndex(name, tags: MetricTags()), delta: 1, sampleRate: sampleRate)
    }

    func incrementCounter(at index: Int, generation: UInt64, delta: Double, sampleRate: Double) {
        guard generation == self.generation else { return }
        addToCounter(index, delta: delta, sampleRate: sampleRate)
    }

    private func addToCounter(_ index: Int, delta: Double, sampleRate: Double) {
        if index == 0 {
            firstCounter!.add(delta, sampleRate: sampleRate)
        } else {
            counters[index - 1].add(delta, sampleRate: sampleRate)
        }
    }

    private func counterIndex(_ name: JoinedMetricName, tags: MetricTags) -> Int {
        guard let first = firstCounter else {
            firstCounter = CounterEntry(name: name, tags: tags)
            return 0
        }
        if first.name == name { return 0 }
        if let i = counters.firstIndex(where: { $0.name == name }) {
            return i + 1
        }
        counters.append(CounterEntry(name: name, tags: tags))
        return counters.count
    }

    /// Every counter, in order of first use.
    private var allCounters: [CounterEntry] {
        guard let firstCounter else { return [] }
        return [firstCounter] + counters
    }

    func append(line: (inout [UInt8]) -> Void) {
        if lines.isEmpty {
            if lines.capacity == 0 { lines.reserveCapacity(512) }
        } else {
            lines.append(UInt8(ascii: "\n"))
        }
        line(&lines)
    }

    /// Nothing collected since the last flush (no lines, no counters): what the observers
    /// add at a request's end can then go straight to the loop's datagram.
    var isEmpty: Bool { lines.isEmpty && firstCounter == nil }

    /// Ends this round as `flush` does, for lines the caller wrote elsewhere: counter handles
    /// from before count into nothing.
    func markFlushed() { generation &+= 1 }

    /// Sends everything collected as one datagram and starts afresh. A datagram too large to
    /// send is dropped with baseplate.py's warning naming the ten largest counters.
    public func flush() {
        func write(_ entry: CounterEntry) {
            entry.name.bytes.withUnsafeBufferPointer { name in
                entry.forEachPacket { rate, delta in
                    append { MetricLine.write(name: name, tags: entry.tags, value: delta, type: "c", sampleRate: rate, to: &$0) }
                }
            }
        }
        if let firstCounter { write(firstCounter) }
        for entry in counters { write(entry) }
        defer {
            lines.removeAll(keepingCapacity: true)
            firstCounter = nil
            counters.removeAll(keepingCapacity: true)
            generation &+= 1
        }
        guard !lines.isEmpty, transport.send(batch: lines) == .tooLarge else { return }
        // Python's sorted(reverse=True) is stable: equal totals keep their order.
        let top = allCounters.enumerated().sorted { a, b in
            a.element.total != b.element.total ? a.element.total > b.element.total : a.offset < b.offset
        }.prefix(10).map { item in
            String(decoding: item.element.name.bytes, as: UTF8.self) + "=" + PythonFloatText.fixed0(item.element.total)
        }
        transport.warnRateLimited(
            "Metrics batch of \(lines.count) bytes is too large to send, flush more often or reduce amount done in this request. See https://baseplate.readthedocs.io/en/latest/guide/faq.html#what-do-i-do-about-metrics-batch-of-n-bytes-is-too-large-to-send. Top counters: \(top.joined(separator: ", "))")
    }
}

/// One counter of a batch: a sum per sample rate, in the order the rates were first used (the
/// first inline, so a counter with one rate allocates nothing).
struct CounterEntry {
    let name: JoinedMetricName
    let tags: MetricTags
    private var rate0 = 1.0
    private var delta0 = 0.0
    private var used = false
    private var more: [(rate: Double, delta: Double)] = []

    init(name: JoinedMetricName, tags: MetricTags) {
        self.name = name
        self.tags = tags
    }

    /// Python's `defaultdict(float)`: each rate's sum starts at 0.0 (so -0.0 becomes 0).
    mutating func add(_ delta: Double, sampleRate: Double) {
        if !used {
            (used, rate0, delta0) = (true, sampleRate, 0.0 + delta)
        } else if rate0 == sampleRate {
            delta0 += delta
        } else if let i = more.firstIndex(where: { $0.rate == sampleRate }) {
            more[i].delta += delta
        } else {
            more.append((sampleRate, 0.0 + delta))
        }
    }

    func forEachPacket(_ body: (_ rate: Double, _ delta: Double) -> Void) {
        guard used else { return }
        body(rate0, delta0)
        for (rate, delta) in more { body(rate, delta) }
    }

    var total: Double { more.reduce(used ? delta0 : 0) { $0 + $1.delta } }
}

/// Where a metric handle's lines go.
enum MetricSink: Sendable {
    /// Sent at once, one datagram per line.
    case client(MetricsTransport)
    /// Collected until the batch flushes.
    case batch(MetricsBatch)
    /// Summed into a batch's counter (until the batch flushes).
    case batchCounter(MetricsBatch, index: Int, generation: UInt64)

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
        if case .batchCounter(let batch, let index, let generation) = sink {
            return batch.incrementCounter(at: index, generation: generation, delta: delta, sampleRate: sampleRate)
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

/// A metric name in up to three pieces (`a + b + c`), so that observers name
/// `server.<method>.success` without building the string.
struct MetricPath: Equatable {
    var a: String
    var b: String
    var c: String

    init(_ a: String, _ b: String = "", _ c: String = "") {
        (self.a, self.b, self.c) = (a, b, c)
    }
}

enum MetricName {
    /// baseplate.py's `_metric_join`: empty nodes skipped, dots stripped from both ends of each
    /// other node, joined by `.`.
    static func join(_ namespace: String, _ name: String) -> String {
        withJoined(namespace, MetricPath(name)) { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with `_metric_join(namespace, path.a + path.b + path.c)`, built in a
    /// temporary (stack) buffer.
    static func withJoined<R>(_ namespace: String, _ path: MetricPath, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let nameCount = path.a.utf8.count + path.b.utf8.count + path.c.utf8.count
        let capacity = namespace.utf8.count + 1 + nameCount
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            var n = 0
            func copy(_ s: String) {
                let copied = s.utf8.withContiguousStorageIfAvailable { bytes in
                    _ = UnsafeMutableBufferPointer(rebasing: buffer[n...]).initialize(from: bytes)
                    return bytes.count
                }
                if let copied {
                    n += copied
                } else {
                    for byte in s.utf8 {  // bridged or other non-contiguous strings
                        buffer[n] = byte
                        n += 1
                    }
                }
            }
            /// Strips dots from both ends of buffer[start..<n], moving what is left to `start`.
            func strip(from start: Int) {
                var lo = start, hi = n
                while lo < hi, buffer[lo] == UInt8(ascii: ".") { lo += 1 }
                while hi > lo, buffer[hi - 1] == UInt8(ascii: ".") { hi -= 1 }
                for i in lo..<hi { buffer[start + i - lo] = buffer[i] }
                n = start + (hi - lo)
            }
            if !namespace.isEmpty {
                copy(namespace)
                strip(from: 0)
            }
            if nameCount > 0 {
                if !namespace.isEmpty {
                    buffer[n] = UInt8(ascii: ".")
                    n += 1
                }
                let start = n
                copy(path.a)
                copy(path.b)
                copy(path.c)
                strip(from: start)
            }
            return body(UnsafeBufferPointer(rebasing: buffer[0..<n]))
        }
    }

}

/// A metric name joined to its namespace once, for names used on every request (the server
/// observer's, cached per method): joining costs ~2,500 instructions a name (callgrind), a
/// copy of the bytes nothing.
struct JoinedMetricName: Equatable, Sendable {
    let bytes: [UInt8]

    init(bytes: [UInt8]) { self.bytes = bytes }

    init(_ namespace: String, _ path: MetricPath) {
        bytes = MetricName.withJoined(namespace, path) { Array($0) }
    }
}

enum MetricLine {
    /// `name[,tags]:value|type[|@rate]`; the rate suffix only when below 1.
    static func write(name: String, tags: MetricTags, value: Double, type: StaticString, sampleRate: Double, to out: inout [UInt8]) {
        var name = name
        name.withUTF8 { write(name: $0, tags: tags, value: value, type: type, sampleRate: sampleRate, to: &out) }
    }

    static func write(name: UnsafeBufferPointer<UInt8>, tags: MetricTags, value: Double, type: StaticString, sampleRate: Double, to out: inout some ByteSink) {
        out.append(contentsOf: name)
        tags.append(to: &out)
        // The rest is short: written on the stack and appended once (an append per piece cost
        // ~200 instructions a line, callgrind).
        let room = 2 * PythonFloatText.maxGLength + 10
        precondition(type.utf8CodeUnitCount <= 4)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: room) { buffer in
            let p = buffer.baseAddress!
            p[0] = UInt8(ascii: ":")
            var n = 1 + PythonFloatText.writeG(value, to: p + 1)
            p[n] = UInt8(ascii: "|")
            n += 1
            type.withUTF8Buffer { for byte in $0 { p[n] = byte; n += 1 } }
            if sampleRate < 1 {
                p[n] = UInt8(ascii: "|")
                p[n + 1] = UInt8(ascii: "@")
                n += 2 + PythonFloatText.writeG(sampleRate, to: p + n + 2)
            }
            out.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        }
    }
}
