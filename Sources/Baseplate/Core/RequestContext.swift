import CBaseplateIO
import Logging

/// What a handler knows about the request it serves (baseplate.py's `RequestContext`). Passed
/// to every handler method.
///
/// The server fills in what the transport knows (method, headers), and, when the service has a
/// `Baseplate`, the request's trace (`span`), edge context and deadline.
///
/// Once a request is answered and nothing holds its context (or its span) strongly, the loop
/// reuses the object for a later request: keep a strong reference to a context you use after
/// its request, not a weak one.
public final class RequestContext: @unchecked Sendable {
    // @exclusivity(unchecked) on hot fields: one thread uses them (as below), and the dynamic
    // exclusivity checks cost ~1,000 instructions per request (callgrind).
    // @unchecked: mutable state is touched only by the request's own task and by the loop
    // that owns the request, which run on the same thread.

    // Variables only so that the loop can recycle the object for its next request (see
    // `RequestPool`); fixed for the life of a request.
    /// The Thrift method called.
    @exclusivity(unchecked) public private(set) var method: String
    /// THeader key/value headers (empty for other dialects).
    @exclusivity(unchecked) public private(set) var headers: ThriftHeaders
    /// When the server started handling the request.
    public var startTime: ContinuousClock.Instant { Nanoseconds.instant(startNanoseconds) }
    /// The same, as `Nanoseconds` (what the server measures with).
    @exclusivity(unchecked) private(set) var startNanoseconds: Int64
    /// A random id for a request that arrives without a trace (see `traceID`).
    @exclusivity(unchecked) private(set) var localTraceID: UInt64

    /// The request's server span; nil when the service runs without a `Baseplate`.
    @exclusivity(unchecked) public internal(set) var span: ServerSpan?
    /// The request's statsd batch (baseplate.py's `context.metrics`) when a metrics observer
    /// is on: the handler's own metrics go out with the request's, in one datagram. Made on
    /// first use: most requests never need one (~500 instructions, callgrind).
    public internal(set) var metrics: MetricsBatch? {
        get {
            if madeMetrics == nil, let metricsClient { madeMetrics = metricsClient.batch() }
            return madeMetrics
        }
        set { madeMetrics = newValue }
    }
    /// Where `metrics` comes from (set by the metrics observer), and the batch once made.
    @exclusivity(unchecked) var metricsClient: MetricsClient?
    @exclusivity(unchecked) private(set) var madeMetrics: MetricsBatch?
    /// The `Edge-Request` header's bytes, as sent (decode with your edge-context library).
    public var rawEdgeContext: [UInt8]? { headers["Edge-Request"] }
    /// The caller's `Deadline-Budget` (milliseconds on the wire), if it sent a valid one.
    @exclusivity(unchecked) public internal(set) var deadlineBudget: Duration?
    /// When the server gives up on this request (min of `Deadline-Budget` and
    /// `server_timeout.*`): the handler's task is cancelled and the client gets an error.
    public var deadline: ContinuousClock.Instant? { deadlineNanoseconds.map(Nanoseconds.instant) }
    /// The same, as `Nanoseconds` (what the loop's deadline timer works with).
    @exclusivity(unchecked) var deadlineNanoseconds: Int64?

    /// The request's trace id as baseplate formats it (a decimal string): the server span's
    /// when there is one, else the upstream `Trace` header, else an id made for this request.
    /// Log lines written through `logger` carry it as `traceID`.
    public var traceID: String {
        if let span { return span.traceID }
        if let upstream = headers.string("Trace"), !upstream.isEmpty { return upstream }
        return String(localTraceID)
    }

    /// The server's logger with this request's `traceID` attached: log lines written through it
    /// carry the trace id, as baseplate.py's do. Made on access, so requests that do not log pay
    /// nothing (binding a task-local per request instead cost ~1,900 instructions, callgrind).
    public var logger: Logger {
        var logger = loopContext?.logger ?? ServerLog.fallback
        logger[metadataKey: "traceID"] = .string(traceID)
        return logger
    }

    /// Per-request objects from the `Baseplate`'s context factories, made on first use.
    @exclusivity(unchecked) private var objects: [String: any Sendable] = [:]
    @exclusivity(unchecked) var baseplate: BaseplateApp?

    /// The loop's list of requests in flight (for SIGUSR1 dumps and deadlines).
    @exclusivity(unchecked) var nextInFlight: RequestContext?
    @exclusivity(unchecked) unowned(unsafe) var previousInFlight: RequestContext?
    /// The handler's task (what the deadline cancels) and whether it answers at all.
    @exclusivity(unchecked) var task: Task<Void, Never>?
    @exclusivity(unchecked) var oneway = false
    /// Where the answer goes (see `Responder`): set by the server, none for contexts made by
    /// hand. Kept here so that a responder is one reference, copied with one retain.
    @exclusivity(unchecked) var loopContext: LoopContext?
    @exclusivity(unchecked) var connection: OpaquePointer?
    @exclusivity(unchecked) var sequenceID: Int32 = 0
    @exclusivity(unchecked) var compact = false
    /// The method's Prometheus series (thrift_server_*), once the request has started.
    @exclusivity(unchecked) var serverMetrics: ThriftMethodMetrics?
    /// Linked into the loop's in-flight list (an answer before that has no span or metrics).
    @exclusivity(unchecked) var isInFlight = false
    /// Set once the request has been answered; later answers are dropped (a handler that
    /// finishes after its deadline).
    @exclusivity(unchecked) var answered = false
    /// A finished request's server span, kept for the next request's (see `RequestPool`).
    @exclusivity(unchecked) var spareSpan: ServerSpan?

    public init(method: String, headers: ThriftHeaders = ThriftHeaders(), localTraceID: UInt64 = 0) {
        self.method = method
        self.headers = headers
        self.startNanoseconds = Nanoseconds.now()
        self.localTraceID = localTraceID
    }

    /// The object a context factory registered under `name` makes for this request (e.g. an
    /// instrumented client), or nil if there is no such factory or the object is not a `T`.
    public func object<T>(_ name: String, as type: T.Type = T.self) -> T? {
        if let made = objects[name] { return made as? T }
        guard let baseplate, let span,
              let entry = baseplate.contextFactories.first(where: { $0.name == name })
        else { return nil }
        let made = entry.factory.makeObject(for: self, name: name, span: span)
        if !answered { objects[name] = made }  // after the answer: not kept (see releaseObjects)
        return made as? T
    }

    /// Drops the per-request objects (they may refer back to this context).
    func releaseObjects() {
        if !objects.isEmpty { objects.removeAll() }
    }

    /// Time left before the deadline (nil: none). Outbound calls send it as `Deadline-Budget`.
    public var remainingBudget: Duration? {
        deadlineNanoseconds.map { .nanoseconds($0 - Nanoseconds.now()) }
    }
}

extension RequestContext {
    /// Lets go of what a finished request held, as if it were new, keeping its server span (if
    /// nothing else holds it) and its headers' buffer for the next request (see `RequestPool`).
    /// Every stored property is reset here or in `reuse`: `RequestPoolTests` compares a reused
    /// context with a new one.
    func recycle() {
        if span != nil {
            if isKnownUniquelyReferenced(&span) && span!.isFinished { spareSpan = span }
            span = nil
        }
        metricsClient = nil
        madeMetrics = nil
        deadlineBudget = nil
        deadlineNanoseconds = nil
        releaseObjects()
        baseplate = nil
        nextInFlight = nil
        previousInFlight = nil
        task = nil
        oneway = false
        loopContext = nil
        connection = nil
        sequenceID = 0
        compact = false
        serverMetrics = nil
        isInFlight = false
        answered = false
    }

    /// Takes a recycled context into use for a new request.
    func reuse(method: String, frame: bpio_frame, localTraceID: UInt64) {
        self.method = method
        headers.replace(with: frame)
        startNanoseconds = Nanoseconds.now()
        self.localTraceID = localTraceID
    }
}
