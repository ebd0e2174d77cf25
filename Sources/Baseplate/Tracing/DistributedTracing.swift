import Logging
import Synchronization
import Tracing

/// The Zipkin tracer as a swift-distributed-tracing `Tracer`: code instrumented with
/// `withSpan(...)` inside a handler records child spans of the request's server span (same
/// trace, parent = the enclosing span, the request's sampling decision), through the same
/// recorder as baseplate's own spans.
///
/// Installed by the tracing family of `configureObservers` when `tracing.service_name` is set:
/// it bootstraps `InstrumentationSystem` unless the application already did, and from then on
/// the server binds each request (`DistributedTracing.request`) while its handler runs. Without
/// tracing nothing is bound and requests pay nothing.
public enum DistributedTracing {
    /// Read by each loop once when it starts (loops start after `configureObservers`).
    nonisolated(unsafe) static var bindsRequests = false

    static func install(_ observer: TraceObserver, logger: Logger) {
        if InstrumentationSystem.instrument is NoOpInstrument {
            InstrumentationSystem.bootstrap(BaseplateTracer(observer))
        } else {
            logger.warning("""
                InstrumentationSystem was bootstrapped by the application: spans from \
                swift-distributed-tracing go to its instrument, not to baseplate's tracer
                """)
        }
        bindsRequests = true
    }

    /// The request whose handler is running: bound by the server (when tracing is on) as the
    /// handler's task starts. A task-local of its own rather than an entry in
    /// `ServiceContext.current`: binding it costs no dictionary per request, and the tracer
    /// falls back to it whenever the context it is given names no span.
    @TaskLocal public static var request: RequestContext?
}

/// The Zipkin identity of the innermost swift-distributed-tracing span in a context.
struct ZipkinSpanIdentity: Sendable, Equatable {
    var traceID: String
    var spanID: String
    var parentID: String?
    var sampled: Bool
    var flags: UInt64?
}

enum ZipkinSpanKey: ServiceContextKey {
    typealias Value = ZipkinSpanIdentity
    static var nameOverride: String? { "baseplate-zipkin-span" }
}

/// See `DistributedTracing`.
public struct BaseplateTracer: Tracer {
    public typealias Span = ZipkinTracingSpan
    let observer: TraceObserver

    init(_ observer: TraceObserver) { self.observer = observer }

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> ServiceContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> ZipkinTracingSpan {
        var context = context()
        let request = DistributedTracing.request
        // A request's spans go to its own service's tracer (a process may serve several).
        let observer = request?.baseplate?.observers.lazy.compactMap { $0 as? TraceObserver }.first ?? self.observer
        let identity: ZipkinSpanIdentity
        if let parent = context[ZipkinSpanKey.self] {
            identity = ZipkinSpanIdentity(
                traceID: parent.traceID, spanID: TraceInfo.newID(), parentID: parent.spanID,
                sampled: parent.sampled, flags: parent.flags)
        } else if let span = request?.span {
            identity = ZipkinSpanIdentity(
                traceID: span.traceID, spanID: TraceInfo.newID(), parentID: span.id,
                sampled: span.sampled ?? false, flags: span.flags)
        } else {
            // Outside any request: a new trace, sampled at the configured rate.
            let id = TraceInfo.newID()
            identity = ZipkinSpanIdentity(
                traceID: id, spanID: id, parentID: nil,
                sampled: observer.shouldSample(sampled: nil, flags: nil), flags: nil)
        }
        context[ZipkinSpanKey.self] = identity
        let zipkinKind: ZipkinSpan.Kind = switch kind {
        case .server: .server
        case .client, .producer: .client
        default: .local
        }
        return ZipkinTracingSpan(
            context: context, identity: identity, name: operationName, kind: zipkinKind,
            start: Int64(instant().nanosecondsSinceEpoch / 1_000),
            observer: identity.sampled ? observer : nil)
    }

    public func forceFlush() {}

    /// baseplate's HTTP trace headers (`X-Trace`, `X-Span`, `X-Parent`, `X-Sampled`,
    /// `X-Flags`) for the innermost span, as a baseplate client would send them.
    public func inject<Carrier, Inject: Injector>(
        _ context: ServiceContext, into carrier: inout Carrier, using injector: Inject
    ) where Inject.Carrier == Carrier {
        let identity: ZipkinSpanIdentity
        if let current = context[ZipkinSpanKey.self] {
            identity = current
        } else if let span = DistributedTracing.request?.span {
            identity = ZipkinSpanIdentity(
                traceID: span.traceID, spanID: span.id, parentID: span.parentID,
                sampled: span.sampled ?? false, flags: span.flags)
        } else {
            return
        }
        injector.inject(identity.traceID, forKey: "X-Trace", into: &carrier)
        injector.inject(identity.spanID, forKey: "X-Span", into: &carrier)
        if let parent = identity.parentID, !parent.isEmpty {
            injector.inject(parent, forKey: "X-Parent", into: &carrier)
        }
        injector.inject(identity.sampled ? "1" : "0", forKey: "X-Sampled", into: &carrier)
        if let flags = identity.flags, flags != 0 {
            injector.inject(String(flags), forKey: "X-Flags", into: &carrier)
        }
    }

    /// The reverse of `inject`: spans started in the returned context continue the caller's
    /// trace (only `X-Sampled: 1` is true, as baseplate.py reads it).
    public func extract<Carrier, Extract: Extractor>(
        _ carrier: Carrier, into context: inout ServiceContext, using extractor: Extract
    ) where Extract.Carrier == Carrier {
        guard let trace = extractor.extract(key: "X-Trace", from: carrier),
              let span = extractor.extract(key: "X-Span", from: carrier)
        else { return }
        context[ZipkinSpanKey.self] = ZipkinSpanIdentity(
            traceID: trace, spanID: span, parentID: extractor.extract(key: "X-Parent", from: carrier),
            sampled: extractor.extract(key: "X-Sampled", from: carrier) == "1",
            flags: extractor.extract(key: "X-Flags", from: carrier).flatMap { UInt64($0) })
    }
}

/// A swift-distributed-tracing span recorded as a Zipkin span when its trace is sampled.
/// Thread-safe: such spans may be ended or annotated from any task.
public final class ZipkinTracingSpan: Tracing.Span {
    public let context: ServiceContext
    let identity: ZipkinSpanIdentity
    let kind: ZipkinSpan.Kind
    let start: Int64
    private let observer: TraceObserver?
    private let state: Mutex<State>

    struct State {
        var name: String
        var attributes = SpanAttributes()
        var events: [ZipkinSpan.Event] = []
        var failed = false
        var ended = false
    }

    init(context: ServiceContext, identity: ZipkinSpanIdentity, name: String, kind: ZipkinSpan.Kind,
         start: Int64, observer: TraceObserver?) {
        self.context = context
        self.identity = identity
        self.kind = kind
        self.start = start
        self.observer = observer
        self.state = Mutex(State(name: name))
    }

    public var isRecording: Bool { observer != nil }

    public var operationName: String {
        get { state.withLock { $0.name } }
        set { state.withLock { $0.name = newValue } }
    }

    public var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set { state.withLock { $0.attributes = newValue } }
    }

    public func setStatus(_ status: SpanStatus) {
        if status.code == .error { state.withLock { $0.failed = true } }
    }

    public func addEvent(_ event: SpanEvent) {
        guard isRecording else { return }
        let timestamp = Int64(event.nanosecondsSinceEpoch / 1_000)
        state.withLock { $0.events.append(.init(timestamp: timestamp, value: event.name)) }
    }

    public func recordError<Instant: TracerInstant>(
        _ error: any Error, attributes: SpanAttributes, at instant: @autoclosure () -> Instant
    ) {
        state.withLock { $0.failed = true }
    }

    public func addLink(_ link: SpanLink) {}

    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let end = Int64(instant().nanosecondsSinceEpoch / 1_000)
        guard let state = state.withLock({ s -> State? in
            guard !s.ended else { return nil }
            s.ended = true
            return s
        }), let observer else { return }
        // baseplate.py's annotation order: component, lc, tags (attributes, by key), error, debug.
        var annotations: [ZipkinSpan.BinaryAnnotation] = [.init(key: "component", value: "baseplate")]
        if kind == .local { annotations.append(.init(key: "lc", value: state.name)) }
        var tags: [(String, String)] = []
        state.attributes.forEach { key, value in tags.append((key, value.zipkinText)) }
        for (key, value) in tags.sorted(by: { $0.0 < $1.0 }) {
            annotations.append(.init(key: key, value: value))
        }
        if state.failed { annotations.append(.init(key: "error", value: "true")) }
        if (identity.flags ?? 0) & TraceInfo.debugFlag != 0 { annotations.append(.init(key: "debug", value: "true")) }
        observer.recorder.record(ZipkinSpan(
            traceID: identity.traceID, name: state.name, id: identity.spanID, parentID: identity.parentID,
            kind: kind, start: start, end: end, binaryAnnotations: annotations, events: state.events))
    }
}

extension SpanAttribute {
    /// The attribute as a Zipkin binary annotation value (Python `str()` forms for numbers and
    /// bools, comma-separated lists for arrays).
    var zipkinText: String {
        switch self {
        case .int32(let v): String(v)
        case .int64(let v): String(v)
        case .double(let v): PythonFloat.repr(v)
        case .bool(let v): v ? "true" : "false"
        case .string(let v): v
        case .int32Array(let v): v.map { String($0) }.joined(separator: ",")
        case .int64Array(let v): v.map { String($0) }.joined(separator: ",")
        case .doubleArray(let v): v.map { PythonFloat.repr($0) }.joined(separator: ",")
        case .boolArray(let v): v.map { $0 ? "true" : "false" }.joined(separator: ",")
        case .stringArray(let v): v.joined(separator: ",")
        case .stringConvertible(let v): v.description
        case .stringConvertibleArray(let v): v.map { $0.description }.joined(separator: ",")
        default: "\(self)"
        }
    }
}
