/// What a handler knows about the request it serves. Passed to every handler method.
///
/// The observability work (spans, trace ids, deadlines) hangs further state off this type; the
/// server fills in what the transport knows.
public final class RequestContext: Sendable {
    /// The Thrift method called.
    public let method: String
    /// THeader key/value headers (empty for other dialects).
    public let headers: ThriftHeaders

    public init(method: String, headers: ThriftHeaders = ThriftHeaders()) {
        self.method = method
        self.headers = headers
    }
}
