/// Why bytes could not be read as Thrift. Mirrors `TProtocolException`'s kinds.
public struct ThriftProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Int32, Sendable {
        case unknown = 0
        case invalidData = 1
        case negativeSize = 2
        case sizeLimit = 3
        case badVersion = 4
        case notImplemented = 5
        case depthLimit = 6
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    @usableFromInline static let truncated = ThriftProtocolError(.invalidData, "unexpected end of message")
}
