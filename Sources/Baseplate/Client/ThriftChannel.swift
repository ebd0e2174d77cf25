/// Which Thrift protocol a channel's messages are encoded in.
public enum ThriftProtocolKind: Sendable, Hashable {
    case binary
    case compact
}

/// A connection to a Thrift server, as generated clients see it: it carries encoded messages
/// and frames them in its dialect (THeader, framed, unframed). Implementations own the I/O.
public protocol ThriftChannel: Sendable {
    /// The protocol messages must be encoded in for this channel.
    var protocolKind: ThriftProtocolKind { get }
    /// Sends one encoded message. Returns the reply message's bytes, or nil when
    /// `expectsReply` is false (oneway calls).
    func send(_ message: [UInt8], expectsReply: Bool) async throws -> [UInt8]?
}

/// Errors a client sees besides the server's `TApplicationException`s and declared exceptions.
public struct ThriftClientError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
