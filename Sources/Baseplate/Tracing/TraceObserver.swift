import CBaseplateIO
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Zipkin tracing (baseplate.py's `TraceBaseplateObserver`, switched on by
/// `tracing.service_name`): decides whether each request is traced and, if so, records its
/// server span and the spans made under it.
public final class TraceObserver: BaseplateObserver {
    let serviceName: String
    let sampleRate: Double
    let endpoint: ZipkinEndpoint
    let recorder: SpanRecorder

    init(serviceName: String, sampleRate: Double, hostname: String, recorder: SpanRecorder) {
        self.serviceName = serviceName
        self.sampleRate = sampleRate
        self.endpoint = ZipkinEndpoint(serviceName: serviceName, ipv4: hostname)
        self.recorder = recorder
    }

    /// baseplate.py's `should_sample`: the upstream decision if there is one, else the sample
    /// rate; the debug flag forces it either way.
    func shouldSample(sampled: Bool?, flags: UInt64?) -> Bool {
        let decided = sampled ?? (sampleRate > 0 && (sampleRate >= 1 || randomFraction() < sampleRate))
        return decided || (flags ?? 0) & TraceInfo.debugFlag != 0
    }

    public func onServerSpanCreated(context: RequestContext, serverSpan: ServerSpan) {
        // The decision is written back so that children and outbound calls carry it.
        if shouldSample(sampled: serverSpan.sampled, flags: serverSpan.flags) {
            serverSpan.sampled = true
            serverSpan.register(ZipkinSpanObserver(kind: .server, componentName: nil, tracer: self))
        } else {
            serverSpan.sampled = false
        }
    }
}

/// Python's `random.random()` stand-in: 53 random bits from the per-thread generator (no
/// syscall per request).
func randomFraction() -> Double {
    Double(bpio_random64() >> 11) * 0x1p-53
}

/// Records one sampled span: baseplate.py's `TraceServerSpanObserver` (sr/ss),
/// `TraceSpanObserver` (cs/cr) and `TraceLocalSpanObserver` (no time annotations, `lc`).
final class ZipkinSpanObserver: SpanObserver, @unchecked Sendable {
    // @unchecked: a span and its observers are used by one task on one loop.
    let kind: ZipkinSpan.Kind
    unowned let tracer: TraceObserver
    // @exclusivity(unchecked): one task uses a span's observers; dynamic checks cost ~80
    // instructions an access (callgrind).
    @exclusivity(unchecked) private var start: Int64 = 0
    @exclusivity(unchecked) private var annotations: [ZipkinSpan.BinaryAnnotation] = []
    /// `incr_tag` totals in first-use order (Python's dict order).
    @exclusivity(unchecked) private var counters: [(key: String, total: Double)] = []

    init(kind: ZipkinSpan.Kind, componentName: String?, tracer: TraceObserver) {
        self.kind = kind
        self.tracer = tracer
        annotations.reserveCapacity(8)  // before the first: one allocation, not two
        annotations.append(.init(key: "component", value: "baseplate"))
        if kind == .local {
            // Python writes str(None) when a local span has no component name.
            annotations.append(.init(key: "lc", value: componentName ?? "None"))
        }
    }

    func onStart(_ span: Span) {
        start = epochMicroseconds()
    }

    func onSetTag(_ span: Span, key: String, value: SpanTagValue) {
        annotations.append(.init(key: key, value: value.zipkinText))
    }

    func onIncrTag(_ span: Span, key: String, delta: Double) {
        if let i = counters.firstIndex(where: { $0.key == key }) {
            counters[i].total += delta
        } else {
            counters.append((key, delta))
        }
    }

    func onFinish(_ span: Span, error: (any Error)?) {
        if kind == .server, error is ServerTimeout {
            annotations.append(.init(key: "timed_out", value: "true"))
        }
        if error != nil { annotations.append(.init(key: "error", value: "true")) }
        if (span.flags ?? 0) & TraceInfo.debugFlag != 0 { annotations.append(.init(key: "debug", value: "true")) }
        let end = epochMicroseconds()
        for (key, total) in counters {
            annotations.append(.init(key: "counter." + key, value: PythonFloat.repr(total)))
        }
        tracer.recorder.record(ZipkinSpan(
            trace: span.traceIdentifier, name: span.name, identifier: span.identifier, parent: span.parentIdentifier,
            kind: kind, start: start, end: end, binaryAnnotations: annotations))
    }

    /// Server and local spans trace their children (baseplate.py's client-span observer does
    /// not, so neither does this one).
    func onChildSpanCreated(_ parent: Span, child: Span) {
        guard kind != .client else { return }
        if let local = child as? LocalSpan {
            child.register(ZipkinSpanObserver(kind: .local, componentName: local.componentName, tracer: tracer))
        } else {
            child.register(ZipkinSpanObserver(kind: .client, componentName: nil, tracer: tracer))
        }
    }
}

extension SpanTagValue {
    /// Python's `str(value)`, bools lower-cased (baseplate.py's binary annotation values).
    var zipkinText: String {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): PythonFloat.repr(d)
        case .bool(let b): b ? "true" : "false"
        }
    }
}
