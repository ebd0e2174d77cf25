import Synchronization

/// What generated clients use to make one call: encode the arguments in the channel's protocol,
/// send, check the reply's header (type, name, sequence id), and decode the result struct.
/// Generic over the argument and result types, so the codecs specialise.
public struct ThriftClientCall: Sendable {
    /// Sequence ids for one client: incremented per call, checked on the reply.
    public final class SequenceIDs: Sendable {
        private let next = Atomic<Int32>(0)
        public init() {}
        public func take() -> Int32 { next.wrappingAdd(1, ordering: .relaxed).newValue }
    }

    /// Calls `method` and returns its result struct (which the generated code unpacks into the
    /// return value or a declared exception). Throws `TApplicationException` for an EXCEPTION
    /// reply and `ThriftClientError` for a reply that does not answer this call.
    public static func call<Args: ThriftStruct, Result: ThriftStruct>(
        _ method: String, args: Args, result: Result.Type,
        channel: some ThriftChannel, sequenceIDs: SequenceIDs
    ) async throws -> Result {
        let seqid = sequenceIDs.take()
        let header = MessageHeader(name: method, type: .call, sequenceID: seqid)
        let reply = try await channel.send(encode(header, args, channel.protocolKind), expectsReply: true)
        guard let reply else { throw ThriftClientError("no reply to \(method)") }
        return try reply.withUnsafeBytes { raw throws -> Result in
            switch channel.protocolKind {
            case .binary:
                var r = BinaryReader(raw)
                return try decodeReply(&r, method: method, seqid: seqid, Result.self)
            case .compact:
                var r = CompactReader(raw)
                return try decodeReply(&r, method: method, seqid: seqid, Result.self)
            }
        }
    }

    /// Sends a oneway call: no reply is read.
    public static func oneway<Args: ThriftStruct>(
        _ method: String, args: Args, channel: some ThriftChannel, sequenceIDs: SequenceIDs
    ) async throws {
        let header = MessageHeader(name: method, type: .oneway, sequenceID: sequenceIDs.take())
        _ = try await channel.send(encode(header, args, channel.protocolKind), expectsReply: false)
    }

    static func encode<Args: ThriftStruct>(_ header: MessageHeader, _ args: Args, _ kind: ThriftProtocolKind) -> [UInt8] {
        switch kind {
        case .binary:
            var w = BinaryWriter()
            w.writeMessageBegin(header)
            args.write(to: &w)
            return w.finish()
        case .compact:
            var w = CompactWriter()
            w.writeMessageBegin(header)
            args.write(to: &w)
            return w.finish()
        }
    }

    static func decodeReply<R: ThriftReader, Result: ThriftStruct>(
        _ r: inout R, method: String, seqid: Int32, _: Result.Type
    ) throws -> Result {
        let header = try r.readMessageBegin()
        if header.type == .exception {
            throw try TApplicationException(from: &r)
        }
        guard header.type == .reply else {
            throw TApplicationException(.invalidMessageType, "\(method): unexpected message type \(header.type)")
        }
        guard header.name == method else {
            throw TApplicationException(.wrongMethodName, "\(method): reply names \(header.name)")
        }
        guard header.sequenceID == seqid else {
            throw TApplicationException(.badSequenceID, "\(method): reply seqid \(header.sequenceID), sent \(seqid)")
        }
        return try Result(from: &r)
    }
}
