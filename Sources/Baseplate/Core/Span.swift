/// One timed operation in a trace (baseplate.py's `Span`): a call to another service when used
/// directly, or `LocalSpan`/`ServerSpan` for work in this process and for the request itself.
///
/// A span is used by the task that made it. Observers hear every call: `start`, `setTag`,
/// `incrTag`, `log`, `finish`, and the creation of children.
open class Span: @unchecked Sendable {
    // @exclusivity(unchecked) on hot fields: one thread uses them (as below), and the dynamic
    // exclusivity checks cost ~1,000 instructions per request (callgrind).
    // @unchecked: a span belongs to one request's task, which runs on one event loop; handlers
    // that share a span across threads must not use it concurrently (as in baseplate.py).

    public let traceID: String
    public let parentID: String?
    public let id: String
    /// Set by the tracing observer once it has decided (baseplate.py overwrites it too).
    @exclusivity(unchecked) public var sampled: Bool?
    public let flags: UInt64?
    public let name: String
    /// The request this span belongs to (nil for spans made outside a request).
    public let context: RequestContext?
    @exclusivity(unchecked) public private(set) var observers: [any SpanObserver] = []
    @exclusivity(unchecked) public private(set) var startTime: ContinuousClock.Instant?
    @exclusivity(unchecked) public private(set) var isFinished = false

    public init(traceInfo: TraceInfo, name: String, context: RequestContext?) {
        self.traceID = traceInfo.traceID
        self.parentID = traceInfo.parentID
        self.id = traceInfo.spanID
        self.sampled = traceInfo.sampled
        self.flags = traceInfo.flags
        self.name = name
        self.context = context
    }

    public var traceInfo: TraceInfo {
        TraceInfo(traceID: traceID, parentID: parentID, spanID: id, sampled: sampled, flags: flags)
    }

    public func register(_ observer: any SpanObserver) {
        observers.append(observer)
    }

    public func start() {
        startTime = .now
        for observer in observers { observer.onStart(self) }
    }

    public func setTag(_ key: String, _ value: SpanTagValue) {
        for observer in observers { observer.onSetTag(self, key: key, value: value) }
    }

    public func incrTag(_ key: String, _ delta: Double = 1) {
        for observer in observers { observer.onIncrTag(self, key: key, delta: delta) }
    }

    public func log(_ name: String, _ payload: (any Sendable)? = nil) {
        for observer in observers { observer.onLog(self, name: name, payload: payload) }
    }

    /// Ends the span; `error` non-nil marks it failed. Observers then let go of the span.
    public func finish(error: (any Error)? = nil) {
        guard !isFinished else { return }
        isFinished = true
        for observer in observers { observer.onFinish(self, error: error) }
        observers.removeAll()
    }

    /// A child in the same trace with a new id: a client span, or a `LocalSpan` if `local`.
    /// Observers of this span hear of it (and typically register themselves on it).
    public func makeChild(_ name: String, local: Bool = false, componentName: String? = nil) -> Span {
        precondition(!isFinished, "span \(self.name) has already finished")
        let info = TraceInfo(traceID: traceID, parentID: id, spanID: TraceInfo.newID(), sampled: sampled, flags: flags)
        let child: Span = local
            ? LocalSpan(traceInfo: info, name: name, context: context, componentName: componentName)
            : Span(traceInfo: info, name: name, context: context)
        for observer in observers { observer.onChildSpanCreated(self, child: child) }
        return child
    }

    /// Runs `body` between `start` and `finish`, finishing with the error it throws.
    public func run<T>(_ body: (Span) async throws -> T) async rethrows -> T {
        start()
        do {
            let value = try await body(self)
            finish()
            return value
        } catch {
            finish(error: error)
            throw error
        }
    }
}

/// Work inside this process (baseplate.py's `LocalSpan`), named by its component.
public class LocalSpan: Span, @unchecked Sendable {
    public let componentName: String?

    public init(traceInfo: TraceInfo, name: String, context: RequestContext?, componentName: String? = nil) {
        self.componentName = componentName
        super.init(traceInfo: traceInfo, name: name, context: context)
    }
}

/// The span of one request this server handles, named after the method.
public final class ServerSpan: LocalSpan, @unchecked Sendable {
    public init(traceInfo: TraceInfo, name: String, context: RequestContext?) {
        super.init(traceInfo: traceInfo, name: name, context: context, componentName: nil)
    }
}
