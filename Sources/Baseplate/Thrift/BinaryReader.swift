/// Reads the binary protocol (big-endian, strict or old message headers) from borrowed bytes.
/// The bytes must outlive the reader; the server hands it a frame that is valid for one call.
public struct BinaryReader: ThriftReader {
    @usableFromInline let base: UnsafeRawPointer?
    @usableFromInline let end: Int
    @usableFromInline var position: Int
    /// Open structs: nesting beyond 64 is an error (hostile input must not overflow the stack).
    var depth = 0

    /// The loop's known method names, for `readMessageBegin` (nil: decode every name).
    var methodNames: MethodNames?

    public init(_ bytes: UnsafeRawBufferPointer) {
        base = bytes.baseAddress
        end = bytes.count
        position = 0
    }

    public var remaining: Int { end - position }

    @inlinable
    mutating func take(_ n: Int) throws(ThriftProtocolError) -> UnsafeRawPointer {
        guard n <= end - position, let base else { throw ThriftProtocolError.truncated }
        let p = base + position
        position += n
        return p
    }

    @inlinable
    mutating func be<T: FixedWidthInteger>(_: T.Type) throws(ThriftProtocolError) -> T {
        let p = try take(MemoryLayout<T>.size)
        return T(bigEndian: p.loadUnaligned(as: T.self))
    }

    // Fixed sizes: the bytes of all are checked at once (`take`), before the array is made, so
    // a hostile count cannot allocate more than the frame holds.
    public mutating func readI32s(count: Int) throws(ThriftProtocolError) -> [Int32] {
        fixedWidthArray(count, try take(count * 4)) { Int32(bigEndian: $0) }
    }

    public mutating func readI64s(count: Int) throws(ThriftProtocolError) -> [Int64] {
        fixedWidthArray(count, try take(count * 8)) { Int64(bigEndian: $0) }
    }

    public mutating func readDoubles(count: Int) throws(ThriftProtocolError) -> [Double] {
        fixedWidthArray(count, try take(count * 8)) { (bits: UInt64) in Double(bitPattern: UInt64(bigEndian: bits)) }
    }

    mutating func type() throws(ThriftProtocolError) -> TType {
        let raw = try be(UInt8.self)
        guard let t = TType(rawValue: raw) else {
            throw ThriftProtocolError(.invalidData, "unknown type id \(raw)")
        }
        return t
    }

    mutating func size() throws(ThriftProtocolError) -> Int {
        let n = try be(Int32.self)
        guard n >= 0 else { throw ThriftProtocolError(.negativeSize, "negative size \(n)") }
        return Int(n)
    }

    public mutating func readMessageBegin() throws(ThriftProtocolError) -> MessageHeader {
        let first = try be(Int32.self)
        if first < 0 {
            let version = UInt32(bitPattern: first) & 0xffff_0000
            guard version == 0x8001_0000 else {
                throw ThriftProtocolError(.badVersion, "bad binary protocol version")
            }
            guard let type = MessageType(rawValue: UInt8(truncatingIfNeeded: first)) else {
                throw ThriftProtocolError(.invalidData, "unknown message type")
            }
            let name = try readMethodName()
            return MessageHeader(name: name, type: type, sequenceID: try be(Int32.self))
        }
        // The old, non-strict header: name first, then an i8 type.
        position -= 4
        let name = try readMethodName()
        guard let type = MessageType(rawValue: try be(UInt8.self)) else {
            throw ThriftProtocolError(.invalidData, "unknown message type")
        }
        return MessageHeader(name: name, type: type, sequenceID: try be(Int32.self))
    }

    public mutating func readStructBegin() throws(ThriftProtocolError) {
        guard depth < 64 else {
            throw ThriftProtocolError(.depthLimit, "structs nested deeper than 64")
        }
        depth += 1
    }

    public mutating func readStructEnd() throws(ThriftProtocolError) {
        guard depth > 0 else { throw ThriftProtocolError(.invalidData, "unbalanced struct end") }
        depth -= 1
    }

    public mutating func readFieldBegin() throws(ThriftProtocolError) -> FieldHeader {
        let t = try type()
        if t == .stop { return FieldHeader(type: .stop, id: 0) }
        return FieldHeader(type: t, id: try be(Int16.self))
    }

    public mutating func readFieldEnd() throws(ThriftProtocolError) {}

    public mutating func readListBegin() throws(ThriftProtocolError) -> ListHeader {
        let t = try type()
        let header = ListHeader(elementType: t, count: try size())
        try checkCount(header.count, minimumSize: 1)
        return header
    }

    public mutating func readSetBegin() throws(ThriftProtocolError) -> ListHeader {
        try readListBegin()
    }

    public mutating func readMapBegin() throws(ThriftProtocolError) -> MapHeader {
        let k = try type()
        let v = try type()
        let header = MapHeader(keyType: k, valueType: v, count: try size())
        try checkCount(header.count, minimumSize: 2)
        return header
    }

    @inlinable public mutating func readBool() throws(ThriftProtocolError) -> Bool { try be(UInt8.self) != 0 }
    @inlinable public mutating func readByte() throws(ThriftProtocolError) -> Int8 { try be(Int8.self) }
    @inlinable public mutating func readI16() throws(ThriftProtocolError) -> Int16 { try be(Int16.self) }
    @inlinable public mutating func readI32() throws(ThriftProtocolError) -> Int32 { try be(Int32.self) }
    @inlinable public mutating func readI64() throws(ThriftProtocolError) -> Int64 { try be(Int64.self) }

    @inlinable public mutating func readDouble() throws(ThriftProtocolError) -> Double {
        Double(bitPattern: try be(UInt64.self))
    }

    /// A message's method name: a remembered one when the bytes match (see `MethodNames`).
    mutating func readMethodName() throws(ThriftProtocolError) -> String {
        guard let methodNames else { return try readString() }
        let n = try size()
        return try methodNames.name(try take(n), count: n)
    }

    public mutating func readString() throws(ThriftProtocolError) -> String {
        let n = try size()
        let p = try take(n)
        guard let s = UTF8Strict.string(p, n) else {
            throw ThriftProtocolError(.invalidData, "invalid UTF-8 in a string")
        }
        return s
    }

    public mutating func readBinary() throws(ThriftProtocolError) -> [UInt8] {
        let n = try size()
        let p = try take(n)
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }

    public mutating func readUUID() throws(ThriftProtocolError) -> UUIDBytes {
        UUIDBytes(high: try be(UInt64.self), low: try be(UInt64.self))
    }
}
