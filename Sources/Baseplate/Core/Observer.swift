/// A tag value on a span. Observers format it the way their wire format wants (Zipkin writes
/// bools lower-case, statsd tags write Python's `str()`).
public enum SpanTagValue: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)

    /// The value as text, bools lower-case (Zipkin's form).
    public var description: String {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .bool(let b): b ? "true" : "false"
        }
    }
}

extension SpanTagValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// Watches one span (baseplate.py's `SpanObserver`). Every method has an empty default.
///
/// A span's observers are called on the thread that uses the span: for spans of a request, the
/// event loop running its handler. Observers of different requests run concurrently on
/// different loops, so state shared between requests must be thread-safe.
public protocol SpanObserver: AnyObject, Sendable {
    func onStart(_ span: Span)
    func onSetTag(_ span: Span, key: String, value: SpanTagValue)
    func onIncrTag(_ span: Span, key: String, delta: Double)
    func onLog(_ span: Span, name: String, payload: (any Sendable)?)
    /// `error` non-nil means the span failed (baseplate.py's `exc_info`).
    func onFinish(_ span: Span, error: (any Error)?)
    func onChildSpanCreated(_ parent: Span, child: Span)
    /// Whether `onSetTag` does anything (true unless the observer says otherwise). A span
    /// whose observers all ignore tags skips them, and the server span skips making them.
    var observesTags: Bool { get }
}

extension SpanObserver {
    public var observesTags: Bool { true }
    public func onStart(_ span: Span) {}
    public func onSetTag(_ span: Span, key: String, value: SpanTagValue) {}
    public func onIncrTag(_ span: Span, key: String, delta: Double) {}
    public func onLog(_ span: Span, name: String, payload: (any Sendable)?) {}
    public func onFinish(_ span: Span, error: (any Error)?) {}
    public func onChildSpanCreated(_ parent: Span, child: Span) {}
}

/// Told about every server span (baseplate.py's `BaseplateObserver`); typically registers a
/// `SpanObserver` on it. A class, as span observers are: calling each observer of a request
/// through an opaque existential copied and destroyed it every time (~170 instructions a
/// request for two observers, callgrind).
public protocol BaseplateObserver: AnyObject, Sendable {
    func onServerSpanCreated(context: RequestContext, serverSpan: ServerSpan)
}

/// Makes a per-request object for handlers, e.g. an instrumented client whose calls become
/// child spans of the request's span (baseplate.py's `make_object_for_context`).
public protocol ContextFactory: Sendable {
    func makeObject(for context: RequestContext, name: String, span: Span) -> any Sendable
}

/// A request that ran past its deadline (`Deadline-Budget` or `server_timeout.*`): the error a
/// server span finishes with, and what observers key `timed_out` on.
public struct ServerTimeout: Error, Sendable, CustomStringConvertible {
    public var spanName: String
    public var timeout: Duration
    /// `server_timeout.debug`: log the handler's stack when it happens.
    public var debug: Bool

    public init(spanName: String, timeout: Duration, debug: Bool = false) {
        self.spanName = spanName
        self.timeout = timeout
        self.debug = debug
    }

    public var description: String { "Server timed out processing for \(spanName) after \(timeout)" }
}
