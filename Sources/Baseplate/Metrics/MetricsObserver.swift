import CBaseplateIO
import Logging
import Synchronization

/// baseplate.py's `MetricsBaseplateObserver` (switched on by `metrics.namespace`): per request,
/// a timer `server.<method>` and a counter `server.<method>.success|failure` (plus
/// `.timed_out` for a `ServerTimeout`), `clients.<name>` timers and counters for client spans,
/// `<component>.<name>` timers for local spans, a counter per `incrTag`; all in one batch,
/// sent as one datagram when the server span finishes.
///
/// The batch is the request's `context.metrics`, for the handler's own metrics.
public final class MetricsObserver: BaseplateObserver {
    public let client: MetricsClient
    /// `metrics_observer.sample_rate`: the share of requests measured (sent with `|@rate`).
    public let sampleRate: Double

    /// Each method's server-span observer (its joined `server.<method>` names). Methods come
    /// from the IDL (unknown ones get no span), so the table stays small: a scan comparing
    /// (mostly inline, short) strings costs less than hashing the name.
    private let serverObservers = Mutex<[ServerSpanMetrics]>([])

    public init(client: MetricsClient, sampleRate: Double = 1) {
        self.client = client
        self.sampleRate = sampleRate
    }

    /// The request's batch is made when first used (`context.metrics`), and the server span's
    /// observer is shared by the method's requests: a request allocates nothing here (two
    /// objects per request cost ~1,000 instructions, callgrind).
    public func onServerSpanCreated(context: RequestContext, serverSpan: ServerSpan) {
        context.metricsClient = client
        if sampleRate >= 1 || MetricsSampling.draw() < sampleRate {
            let method = serverSpan.name
            let observer = serverObservers.withLock { table in
                if let known = table.first(where: { $0.names.method == method }) { return known }
                let made = ServerSpanMetrics(
                    client: client, names: ServerMetricNames(namespace: client.namespace, method: method),
                    sampleRate: sampleRate)
                table.append(made)
                return made
            }
            serverSpan.register(observer)
        } else {
            serverSpan.register(UnsampledSpanMetrics.shared)
        }
    }
}

/// A request left out by the sample rate: only what the handler put in `context.metrics` goes.
/// Stateless, so one serves every request.
final class UnsampledSpanMetrics: SpanObserver, Sendable {
    static let shared = UnsampledSpanMetrics()
    var observesTags: Bool { false }
    func onFinish(_ span: Span, error: (any Error)?) { span.context?.madeMetrics?.flush() }
}

/// The state child spans' observers share: the request's batch and the rate.
class SpanMetrics: SpanObserver, @unchecked Sendable {
    // @unchecked: a span's observers are used by the span's task only.
    let batch: MetricsBatch
    let sampleRate: Double

    init(batch: MetricsBatch, sampleRate: Double) {
        self.batch = batch
        self.sampleRate = sampleRate
    }

    // Declared here so that subclasses' versions are the protocol's witnesses (a protocol
    // extension default would be called instead).
    func onFinish(_ span: Span, error: (any Error)?) {}
    func onLog(_ span: Span, name: String, payload: (any Sendable)?) {}
    /// statsd timers and counters name spans, not tags.
    var observesTags: Bool { false }

    func onIncrTag(_ span: Span, key: String, delta: Double) {
        batch.addCounter(MetricPath(key), delta: delta, sampleRate: sampleRate)
    }

    /// Sends the span's timer, if it started (baseplate.py's timer would assert otherwise).
    func sendTimer(_ path: MetricPath, _ span: Span) {
        guard let milliseconds = span.elapsedMilliseconds else { return }
        batch.addTimer(path, milliseconds: milliseconds, sampleRate: sampleRate)
    }

    func onChildSpanCreated(_ parent: Span, child: Span) {
        Self.observe(child, batch: batch, sampleRate: sampleRate)
    }

    /// Registers a local or client span's observer (baseplate.py measures both kinds).
    static func observe(_ child: Span, batch: MetricsBatch, sampleRate: Double) {
        if let local = child as? LocalSpan {
            child.register(LocalSpanMetrics(batch: batch, span: local, sampleRate: sampleRate))
        } else {
            child.register(ClientSpanMetrics(batch: batch, span: child, sampleRate: sampleRate))
        }
    }
}

/// A method's server metric names, joined to the client's namespace. A class: each request's
/// observer holds one reference, not six.
final class ServerMetricNames: Sendable {
    let namespace: String
    let method: String
    let timer, success, failure, timedOut: JoinedMetricName

    init(namespace: String, method: String) {
        (self.namespace, self.method) = (namespace, method)
        timer = JoinedMetricName(namespace, MetricPath("server.", method))
        success = JoinedMetricName(namespace, MetricPath("server.", method, ".success"))
        failure = JoinedMetricName(namespace, MetricPath("server.", method, ".failure"))
        timedOut = JoinedMetricName(namespace, MetricPath("server.", method, ".timed_out"))
    }
}

/// A method's server spans' observer, shared by its requests (nothing per request but the
/// batch, which the handler or a child span makes on first use).
final class ServerSpanMetrics: SpanObserver, @unchecked Sendable {
    // @unchecked: the line buffers below are written once, in init, and freed in deinit.
    let client: MetricsClient
    let names: ServerMetricNames
    let sampleRate: Double
    /// The usual request's lines, made once (MetricLine's own bytes): the counters whole, the
    /// timer around its value. Per request that is copies, not formatting (~300 instructions).
    /// Raw buffers of this object's own: arrays' storage was retained and released around
    /// each use (~50 instructions a request, callgrind).
    private let successLine, failureLine, timedOutLine, timerPrefix, timerSuffix: UnsafeBufferPointer<UInt8>

    init(client: MetricsClient, names: ServerMetricNames, sampleRate: Double) {
        (self.client, self.names, self.sampleRate) = (client, names, sampleRate)
        func counter(_ name: JoinedMetricName) -> [UInt8] {
            var line: [UInt8] = []
            name.bytes.withUnsafeBufferPointer {
                MetricLine.write(name: $0, tags: MetricTags(), value: 1, type: "c", sampleRate: sampleRate, to: &line)
            }
            return line
        }
        func kept(_ bytes: some Collection<UInt8>) -> UnsafeBufferPointer<UInt8> {
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)
            _ = buffer.initialize(fromContentsOf: bytes)
            return UnsafeBufferPointer(buffer)
        }
        (successLine, failureLine, timedOutLine) = (kept(counter(names.success)), kept(counter(names.failure)),
                                                    kept(counter(names.timedOut)))
        // "<name>:" + value + "|ms[|@rate]": split where the value goes (0 is written "0").
        var timer: [UInt8] = []
        names.timer.bytes.withUnsafeBufferPointer {
            MetricLine.write(name: $0, tags: MetricTags(), value: 0, type: "ms", sampleRate: sampleRate, to: &timer)
        }
        let value = names.timer.bytes.count + 1  // after the colon
        timerPrefix = kept(timer[..<value])
        timerSuffix = kept(timer[(value + 1)...])
    }

    deinit {
        for line in [successLine, failureLine, timedOutLine, timerPrefix, timerSuffix] { line.deallocate() }
    }

    /// The server span's statsd lines name the method only.
    var observesTags: Bool { false }

    func onIncrTag(_ span: Span, key: String, delta: Double) {
        span.context?.metrics?.addCounter(MetricPath(key), delta: delta, sampleRate: sampleRate)
    }

    func onChildSpanCreated(_ parent: Span, child: Span) {
        guard let batch = parent.context?.metrics else { return }
        SpanMetrics.observe(child, batch: batch, sampleRate: sampleRate)
    }

    func onFinish(_ span: Span, error: (any Error)?) {
        let made = span.context?.madeMetrics
        let elapsed = span.elapsedNanoseconds
        // The usual request: the handler sent no metrics of its own, so the batch would hold
        // just these lines. They go straight into the loop's datagram (the same bytes; the
        // batch's buffers and counters cost ~2,000 instructions per request, callgrind).
        if made.map({ $0.isEmpty && $0.namespace == names.namespace && $0.baseTags.isEmpty }) ?? true,
           let outbox = client.transport.loopOutbox {
            outbox.write(for: client.transport) { out in
                if let elapsed {
                    out.append(contentsOf: timerPrefix)
                    PythonFloatText.appendMilliseconds(nanoseconds: elapsed, to: &out)
                    out.append(contentsOf: timerSuffix)
                    out.append(UInt8(ascii: "\n"))
                }
                out.append(contentsOf: error == nil ? successLine : failureLine)
                if error is ServerTimeout {
                    out.append(UInt8(ascii: "\n"))
                    out.append(contentsOf: timedOutLine)
                }
            }
            made?.markFlushed()
            return
        }
        let batch = made ?? client.batch()  // off a loop (no outbox): a batch of its own
        // The joined names hold while the handler left the batch's namespace and tags alone.
        if batch.namespace == names.namespace && batch.baseTags.isEmpty {
            if let elapsed = span.elapsedMilliseconds {
                batch.addTimer(joined: names.timer, milliseconds: elapsed, sampleRate: sampleRate)
            }
            batch.addCounter(joined: error == nil ? names.success : names.failure, sampleRate: sampleRate)
            if error is ServerTimeout { batch.addCounter(joined: names.timedOut, sampleRate: sampleRate) }
        } else {
            if let elapsed = span.elapsedMilliseconds {
                batch.addTimer(MetricPath("server.", names.method), milliseconds: elapsed, sampleRate: sampleRate)
            }
            batch.addCounter(MetricPath("server.", names.method, error == nil ? ".success" : ".failure"), sampleRate: sampleRate)
            if error is ServerTimeout {
                batch.addCounter(MetricPath("server.", names.method, ".timed_out"), sampleRate: sampleRate)
            }
        }
        batch.flush()
    }
}

final class LocalSpanMetrics: SpanMetrics, @unchecked Sendable {
    let path: MetricPath

    init(batch: MetricsBatch, span: LocalSpan, sampleRate: Double) {
        // baseplate.py formats a missing component as Python's None.
        path = MetricPath(span.componentName ?? "None", ".", span.name)
        super.init(batch: batch, sampleRate: sampleRate)
    }

    override func onFinish(_ span: Span, error: (any Error)?) { sendTimer(path, span) }
}

final class ClientSpanMetrics: SpanMetrics, @unchecked Sendable {
    /// `clients.<span name>`, in pieces.
    let name: String

    init(batch: MetricsBatch, span: Span, sampleRate: Double) {
        name = span.name
        super.init(batch: batch, sampleRate: sampleRate)
    }

    override func onFinish(_ span: Span, error: (any Error)?) {
        sendTimer(MetricPath("clients.", name), span)
        batch.addCounter(MetricPath("clients.", name, error == nil ? ".success" : ".failure"), sampleRate: sampleRate)
    }

    /// `span.log("error.object", error)` counts `errors.<type name>`.
    override func onLog(_ span: Span, name: String, payload: (any Sendable)?) {
        guard name == "error.object", let payload else { return }
        batch.addCounter(MetricPath("errors.", "\(type(of: payload))"), sampleRate: sampleRate)
    }

    /// Client spans' children are not measured (as in baseplate.py).
    override func onChildSpanCreated(_ parent: Span, child: Span) {}
}

enum MetricsSampling {
    /// Uniform in [0, 1), as Python's `random()`, from the per-thread generator.
    static func draw() -> Double {
        Double(bpio_random64() >> 11) * 0x1p-53
    }
}

extension SpanTagValue {
    /// Python's `str()` of the value, as statsd tags carry it (`True`, `3.0`).
    var pythonText: String {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): MetricTags.text(d)
        case .bool(let b): MetricTags.text(b)
        }
    }
}
