import Baseplate

/// The codegen tests' channel: the framework's own `ThriftConnection` to a loopback server, in
/// the dialect a test names (so generated clients are tested on the real client transport).
struct SocketChannel: ThriftChannel {
    enum Framing: String, CaseIterable, Sendable {
        case theader
        case framed
        case unframed
    }

    let connection: ThriftConnection

    init(port: Int, framing: Framing, protocol kind: ThriftProtocolKind) throws {
        let dialect: ThriftConnection.Dialect = switch framing {
        case .theader: .header(kind)
        case .framed: .framed(kind)
        case .unframed: .unframed(kind)
        }
        connection = ThriftConnection(endpoint: .tcp(host: "127.0.0.1", port: port), dialect: dialect)
    }

    var protocolKind: ThriftProtocolKind { connection.protocolKind }

    func send(_ message: [UInt8], expectsReply: Bool) async throws -> [UInt8]? {
        try await connection.send(message, expectsReply: expectsReply)
    }
}
