/// What the server dispatches a request to. Generated code implements it per service.
///
/// The server decodes the message header, then asks the processor to decode the arguments
/// from the borrowed frame (synchronously: the bytes are valid only during the call) and hand
/// back the work to run. There is one method per reader type, so each is a concrete entry
/// into code specialised for that protocol.
public protocol ThriftProcessor: Sendable {
    /// Returns the call to run, or nil for a method this service does not have.
    func makeCall(_ method: String, reader: inout BinaryReader) throws(ThriftProtocolError) -> ThriftCall?
    func makeCall(_ method: String, reader: inout CompactReader) throws(ThriftProtocolError) -> ThriftCall?
}

/// One decoded request, ready to run.
public struct ThriftCall: Sendable {
    /// Oneway calls get no reply.
    public var oneway: Bool
    /// Runs the handler and answers through the responder exactly once (`reply`, `exception`
    /// or, for oneway calls, `done`).
    public var invoke: @Sendable (RequestContext, Responder) async -> Void

    public init(oneway: Bool = false, invoke: @escaping @Sendable (RequestContext, Responder) async -> Void) {
        self.oneway = oneway
        self.invoke = invoke
    }
}
