import Baseplate
import Testing

/// Encodes a value in a protocol.
func encode<T: ThriftStruct>(_ value: T, _ kind: ThriftProtocolKind) -> [UInt8] {
    switch kind {
    case .binary:
        var w = BinaryWriter()
        value.write(to: &w)
        return w.bytes
    case .compact:
        var w = CompactWriter()
        value.write(to: &w)
        return w.bytes
    }
}

/// Decodes a value, requiring every byte to be used.
func decode<T: ThriftStruct>(_ type: T.Type, _ bytes: [UInt8], _ kind: ThriftProtocolKind) throws -> T {
    try bytes.withUnsafeBytes { raw throws -> T in
        switch kind {
        case .binary:
            var r = BinaryReader(raw)
            let value = try T(from: &r)
            guard r.remaining == 0 else { throw ThriftProtocolError(.invalidData, "\(r.remaining) bytes left") }
            return value
        case .compact:
            var r = CompactReader(raw)
            let value = try T(from: &r)
            guard r.remaining == 0 else { throw ThriftProtocolError(.invalidData, "\(r.remaining) bytes left") }
            return value
        }
    }
}

/// Writes, reads back, writes again: equal values, identical bytes, in both protocols.
func expectRoundTrip<T: ThriftStruct & Equatable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
    for kind in [ThriftProtocolKind.binary, .compact] {
        let bytes = encode(value, kind)
        let back = try decode(T.self, bytes, kind)
        #expect(back == value, "\(kind)", sourceLocation: sourceLocation)
        #expect(encode(back, kind) == bytes, "\(kind)", sourceLocation: sourceLocation)
    }
}

/// Binary-protocol bytes written call by call, for feeding decoders what generated writers never write.
func binaryBytes(_ body: (inout BinaryWriter) -> Void) -> [UInt8] {
    var w = BinaryWriter()
    body(&w)
    return w.bytes
}

/// The error decoding gives, if any.
func decodingError<T: ThriftStruct>(_ type: T.Type, _ bytes: [UInt8], _ kind: ThriftProtocolKind = .binary) -> ThriftProtocolError? {
    do {
        _ = try decode(type, bytes, kind)
        return nil
    } catch let error as ThriftProtocolError {
        return error
    } catch {
        return ThriftProtocolError(.unknown, "\(error)")
    }
}
