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

    /// Each method's `server.<method>` names, joined once. Methods come from the IDL (unknown
    /// ones get no span), so the table stays small: a scan comparing (mostly inline, short)
    /// strings costs less than hashing the name.
    private let names = Mutex<[ServerMetricNames]>([])

    public init(client: MetricsClient, sampleRate: Double = 1) {
        self.client = client
        self.sampleRate = sampleRate
    }

    public func onServerSpanCreated(context: RequestContext, serverSpan: ServerSpan) {
        let batch = client.batch()
        context.metrics = batch
        if sampleRate >= 1 || MetricsSampling.draw() < sampleRate {
            let method = serverSpan.name
            let names = self.names.withLock { table in
                if let known = table.first(where: { $0.method == method }) { return known }
                let made = ServerMetricNames(namespace: client.namespace, method: method)
                table.append(made)
                return made
            }
            serverSpan.register(ServerSpanMetrics(batch: batch, names: names, sampleRate: sampleRate))
        } else {
            serverSpan.register(UnsampledSpanMetrics(batch: batch))
        }
    }
}

/// A request left out by the sample rate: only what the handler put in `context.metrics` goes.
final class UnsampledSpanMetrics: SpanObserver, @unchecked Sendable {
    // @unchecked: used by the request's task only.
    let batch: MetricsBatch
    init(batch: MetricsBatch) { self.batch = batch }
    func onFinish(_ span: Span, error: (any Error)?) { batch.flush() }
}

/// The state every untagged span observer shares: the batch, the rate, the start time.
class SpanMetrics: SpanObserver, @unchecked Sendable {
    // @unchecked: a span's observers are used by the span's task only.
    let batch: MetricsBatch
    let sampleRate: Double
    @exclusivity(unchecked) var started: ContinuousClock.Instant?

    init(batch: MetricsBatch, sampleRate: Double) {
        self.batch = batch
        self.sampleRate = sampleRate
    }

    func onStart(_ span: Span) { started = .now }

    // Declared here so that subclasses' versions are the protocol's witnesses (a protocol
    // extension default would be called instead).
    func onFinish(_ span: Span, error: (any Error)?) {}
    func onLog(_ span: Span, name: String, payload: (any Sendable)?) {}

    func onIncrTag(_ span: Span, key: String, delta: Double) {
        batch.addCounter(MetricPath(key), delta: delta, sampleRate: sampleRate)
    }

    /// Sends the timer, if the span started (baseplate.py's timer would assert otherwise).
    func sendTimer(_ path: MetricPath) {
        guard let started else { return }
        batch.addTimer(path, seconds: (.now - started).seconds, sampleRate: sampleRate)
    }

    func onChildSpanCreated(_ parent: Span, child: Span) {
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

final class ServerSpanMetrics: SpanMetrics, @unchecked Sendable {
    let names: ServerMetricNames

    init(batch: MetricsBatch, names: ServerMetricNames, sampleRate: Double) {
        self.names = names
        super.init(batch: batch, sampleRate: sampleRate)
    }

    override func onFinish(_ span: Span, error: (any Error)?) {
        // The usual request: the handler sent no metrics of its own, so the batch would hold
        // just these lines. They go straight into the loop's datagram (the same bytes; the
        // batch's buffers and counters cost ~2,000 instructions per request, callgrind).
        if batch.isEmpty, batch.namespace == names.namespace, batch.baseTags.isEmpty,
           let outbox = batch.transport.loopOutbox {
            let (names, rate) = (self.names, sampleRate)
            let elapsed = started.map { (.now - $0).seconds * 1000.0 }
            outbox.write(for: batch.transport) { out in
                func counter(_ name: JoinedMetricName) {
                    name.bytes.withUnsafeBufferPointer {
                        MetricLine.write(name: $0, tags: MetricTags(), value: 1, type: "c", sampleRate: rate, to: &out)
                    }
                }
                if let elapsed {
                    names.timer.bytes.withUnsafeBufferPointer {
                        MetricLine.write(name: $0, tags: MetricTags(), value: elapsed, type: "ms", sampleRate: rate, to: &out)
                    }
                    out.append(UInt8(ascii: "\n"))
                }
                counter(error == nil ? names.success : names.failure)
                if error is ServerTimeout {
                    out.append(UInt8(ascii: "\n"))
                    counter(names.timedOut)
                }
            }
            batch.markFlushed()
            return
        }
        // The joined names hold while the handler left the batch's namespace and tags alone.
        if batch.namespace == names.namespace && batch.baseTags.isEmpty {
            if let started {
                batch.addTimer(joined: names.timer, seconds: (.now - started).seconds, sampleRate: sampleRate)
            }
            batch.addCounter(joined: error == nil ? names.success : names.failure, sampleRate: sampleRate)
            if error is ServerTimeout { batch.addCounter(joined: names.timedOut, sampleRate: sampleRate) }
        } else {
            sendTimer(MetricPath("server.", names.method))
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

    override func onFinish(_ span: Span, error: (any Error)?) { sendTimer(path) }
}

final class ClientSpanMetrics: SpanMetrics, @unchecked Sendable {
    /// `clients.<span name>`, in pieces.
    let name: String

    init(batch: MetricsBatch, span: Span, sampleRate: Double) {
        name = span.name
        super.init(batch: batch, sampleRate: sampleRate)
    }

    override func onFinish(_ span: Span, error: (any Error)?) {
        sendTimer(MetricPath("clients.", name))
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
