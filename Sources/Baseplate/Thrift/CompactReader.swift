/// Reads the compact protocol from borrowed bytes: zigzag varints, field-id deltas, and bools
/// folded into field headers.
public struct CompactReader: ThriftReader {
    @usableFromInline let base: UnsafeRawPointer?
    @usableFromInline let end: Int
    @usableFromInline var position: Int
    /// The last field id of each open struct; nesting beyond its size is an error.
    var lastFieldIDs: InlineArray<64, Int16> = .init(repeating: 0)
    var depth = 0
    var lastFieldID: Int16 = 0
    /// A struct field's bool, carried in its header.
    var pendingBool: Bool?

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

    mutating func byte() throws(ThriftProtocolError) -> UInt8 {
        guard position < end, let base else { throw ThriftProtocolError.truncated }
        let b = base.load(fromByteOffset: position, as: UInt8.self)
        position += 1
        return b
    }

    @inline(__always)
    mutating func varint(maxBytes: Int) throws(ThriftProtocolError) -> UInt64 {
        // Most varints (field headers' sizes, sequence ids, small numbers) are one byte.
        if position < end, let base {
            let b = base.load(fromByteOffset: position, as: UInt8.self)
            if b < 0x80 {
                position += 1
                return UInt64(b)
            }
        }
        return try longVarint(maxBytes: maxBytes)
    }

    /// Over the bytes in hand with the position in a local, stored once: a checked byte read
    /// per byte cost ~24 instructions a byte (callgrind: S3's i64s are six-byte varints).
    private mutating func longVarint(maxBytes: Int) throws(ThriftProtocolError) -> UInt64 {
        guard let base else { throw ThriftProtocolError.truncated }
        let available = Swift.min(maxBytes, end - position)
        let p = base + position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var i = 0
        while i < available {
            let b = p.load(fromByteOffset: i, as: UInt8.self)
            // &<<: at most 9 bytes of 7 bits come before the last, so the shift stays below 64
            // and needs none of `<<`'s checks for shifts past the width.
            result |= UInt64(b & 0x7f) &<< shift
            i &+= 1
            if b & 0x80 == 0 {
                position += i
                return result
            }
            shift &+= 7
        }
        // Ran out of bytes before the varint ended, or it is longer than its type allows.
        position += i
        if i < maxBytes { throw ThriftProtocolError.truncated }
        throw ThriftProtocolError(.invalidData, "varint too long")
    }

    mutating func zigzag32() throws(ThriftProtocolError) -> Int32 {
        let u = UInt32(truncatingIfNeeded: try varint(maxBytes: 5))
        return Int32(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    mutating func zigzag64() throws(ThriftProtocolError) -> Int64 {
        let u = try varint(maxBytes: 10)
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    mutating func size() throws(ThriftProtocolError) -> Int {
        let n = try varint(maxBytes: 5)
        guard n <= UInt64(Int32.max) else {
            throw ThriftProtocolError(.sizeLimit, "size \(n) too large")
        }
        return Int(n)
    }

    /// Maps a compact type nibble to the wire type.
    func ttype(_ nibble: UInt8) throws(ThriftProtocolError) -> TType {
        switch nibble {
        case 0: return .stop
        case 1, 2: return .bool
        case 3: return .byte
        case 4: return .i16
        case 5: return .i32
        case 6: return .i64
        case 7: return .double
        case 8: return .string
        case 9: return .list
        case 10: return .set
        case 11: return .map
        case 12: return .struct
        case 13: return .uuid
        default: throw ThriftProtocolError(.invalidData, "unknown compact type \(nibble)")
        }
    }

    public mutating func readMessageBegin() throws(ThriftProtocolError) -> MessageHeader {
        guard try byte() == 0x82 else {
            throw ThriftProtocolError(.badVersion, "bad compact protocol id")
        }
        let versionAndType = try byte()
        guard versionAndType & 0x1f == 1 else {
            throw ThriftProtocolError(.badVersion, "bad compact protocol version")
        }
        guard let type = MessageType(rawValue: versionAndType >> 5) else {
            throw ThriftProtocolError(.invalidData, "unknown message type")
        }
        // C++ writes the sequence id as a plain varint, not zigzag.
        let seqid = Int32(truncatingIfNeeded: try varint(maxBytes: 5))
        return MessageHeader(name: try readMethodName(), type: type, sequenceID: seqid)
    }

    public mutating func readStructBegin() throws(ThriftProtocolError) {
        guard depth < 64 else {
            throw ThriftProtocolError(.depthLimit, "structs nested deeper than 64")
        }
        lastFieldIDs[depth] = lastFieldID
        depth += 1
        lastFieldID = 0
    }

    public mutating func readStructEnd() throws(ThriftProtocolError) {
        guard depth > 0 else { throw ThriftProtocolError(.invalidData, "unbalanced struct end") }
        depth -= 1
        lastFieldID = lastFieldIDs[depth]
    }

    public mutating func readFieldBegin() throws(ThriftProtocolError) -> FieldHeader {
        let b = try byte()
        let nibble = b & 0x0f
        if nibble == 0 { return FieldHeader(type: .stop, id: 0) }
        let delta = Int16(b >> 4)
        let id: Int16
        if delta == 0 {
            id = Int16(truncatingIfNeeded: try zigzag32())
        } else {
            id = lastFieldID &+ delta
        }
        let type = try ttype(nibble)
        if type == .bool { pendingBool = nibble == 1 }
        lastFieldID = id
        return FieldHeader(type: type, id: id)
    }

    public mutating func readFieldEnd() throws(ThriftProtocolError) {}

    public mutating func readListBegin() throws(ThriftProtocolError) -> ListHeader {
        let b = try byte()
        var count = Int(b >> 4)
        if count == 15 { count = try size() }
        let header = ListHeader(elementType: try ttype(b & 0x0f), count: count)
        try checkCount(count, minimumSize: 1)
        return header
    }

    public mutating func readSetBegin() throws(ThriftProtocolError) -> ListHeader {
        try readListBegin()
    }

    public mutating func readMapBegin() throws(ThriftProtocolError) -> MapHeader {
        let count = try size()
        if count == 0 { return MapHeader(keyType: .stop, valueType: .stop, count: 0) }
        let types = try byte()
        let header = MapHeader(keyType: try ttype(types >> 4), valueType: try ttype(types & 0x0f),
                               count: count)
        try checkCount(count, minimumSize: 2)
        return header
    }

    public mutating func readBool() throws(ThriftProtocolError) -> Bool {
        if let value = pendingBool {
            pendingBool = nil
            return value
        }
        return try byte() == 1  // container elements: one byte each, 1 = true
    }

    public mutating func readByte() throws(ThriftProtocolError) -> Int8 {
        Int8(bitPattern: try byte())
    }

    public mutating func readI16() throws(ThriftProtocolError) -> Int16 {
        Int16(truncatingIfNeeded: try zigzag32())
    }

    public mutating func readI32() throws(ThriftProtocolError) -> Int32 { try zigzag32() }
    public mutating func readI64() throws(ThriftProtocolError) -> Int64 { try zigzag64() }

    public mutating func readI32s(count: Int) throws(ThriftProtocolError) -> [Int32] {
        try varints(count) { (r: inout CompactReader) throws(ThriftProtocolError) in try r.zigzag32() }
    }

    public mutating func readI64s(count: Int) throws(ThriftProtocolError) -> [Int64] {
        try varints(count) { (r: inout CompactReader) throws(ThriftProtocolError) in try r.zigzag64() }
    }

    public mutating func readDoubles(count: Int) throws(ThriftProtocolError) -> [Double] {
        // Fixed size: all checked at once, before the array is made.
        fixedWidthArray(count, try take(count * 8)) { (bits: UInt64) in Double(bitPattern: UInt64(littleEndian: bits)) }
    }

    /// `count` varints into an array made at its size. Each takes a byte at least, so a count
    /// beyond the bytes left is an error before anything is allocated.
    private mutating func varints<E>(
        _ count: Int, _ next: (inout CompactReader) throws(ThriftProtocolError) -> E
    ) throws(ThriftProtocolError) -> [E] {
        guard count <= remaining else { throw ThriftProtocolError.truncated }
        var failure: ThriftProtocolError?
        let values = [E](unsafeUninitializedCapacity: count) { buffer, n in
            while n < count {
                do throws(ThriftProtocolError) {
                    buffer.initializeElement(at: n, to: try next(&self))
                } catch {
                    failure = error
                    return
                }
                n += 1
            }
        }
        if let failure { throw failure }
        return values
    }

    public mutating func readDouble() throws(ThriftProtocolError) -> Double {
        // Compact doubles are little-endian, unlike everything else in Thrift.
        let p = try take(8)
        return Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)))
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
        let p = try take(16)
        return UUIDBytes(high: UInt64(bigEndian: p.loadUnaligned(as: UInt64.self)),
                         low: UInt64(bigEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
    }
}
