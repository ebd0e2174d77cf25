/// What a handler knows about the request it serves. Passed to every handler method.
///
/// The observability work (spans, trace ids, deadlines) hangs further state off this type; the
/// server fills in what the transport knows.
public final class RequestContext: @unchecked Sendable {
    // @unchecked: the in-flight links are touched only by the loop that owns the request.

    /// The Thrift method called.
    public let method: String
    /// THeader key/value headers (empty for other dialects).
    public let headers: ThriftHeaders
    /// When the server started handling the request.
    public let startTime: ContinuousClock.Instant

    /// The loop's list of requests in flight (for SIGUSR1 dumps and, later, deadlines).
    var nextInFlight: RequestContext?
    unowned(unsafe) var previousInFlight: RequestContext?

    public init(method: String, headers: ThriftHeaders = ThriftHeaders()) {
        self.method = method
        self.headers = headers
        self.startTime = .now
    }
}
