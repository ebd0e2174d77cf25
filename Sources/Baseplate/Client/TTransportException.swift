/// A call that failed below the protocol: no connection, a timeout, a lost connection (Apache
/// Thrift's `TTransportException`, whose kinds and texts baseplate.py's pool uses).
public struct TTransportException: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Int32, Sendable {
        case unknown = 0
        case notOpen = 1
        case alreadyOpen = 2
        case timedOut = 3
        case endOfFile = 4
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "TTransportException(\(kind)): \(message)" }
}
