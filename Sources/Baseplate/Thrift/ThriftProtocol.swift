/// A value that reads and writes itself in any Thrift protocol. Generated structs, unions,
/// exceptions and argument/result wrappers conform; the generic methods specialise per protocol,
/// so decoding and encoding involve no existentials.
public protocol ThriftStruct: Sendable {
    init<R: ThriftReader>(from reader: inout R) throws(ThriftProtocolError)
    func write<W: ThriftWriter>(to writer: inout W)
    /// The same, for the writers replies go through: generated types implement these with the
    /// writer's type known (specialized); others get the generic `write`.
    func write(to writer: inout BinaryWriter)
    func write(to writer: inout CompactWriter)
}

extension ThriftStruct {
    public func write(to writer: inout BinaryWriter) { writeGeneric(to: &writer) }
    public func write(to writer: inout CompactWriter) { writeGeneric(to: &writer) }

    /// `write<W>` itself: where W is generic, no concrete overload can be chosen.
    @inline(__always)
    private func writeGeneric<W: ThriftWriter>(to writer: inout W) { write(to: &writer) }
}

/// Reads Thrift values from a borrowed buffer. Implementations: `BinaryReader`, `CompactReader`.
public protocol ThriftReader {
    mutating func readMessageBegin() throws(ThriftProtocolError) -> MessageHeader
    mutating func readStructBegin() throws(ThriftProtocolError)
    mutating func readStructEnd() throws(ThriftProtocolError)
    /// The next field's header; `.stop` ends the struct.
    mutating func readFieldBegin() throws(ThriftProtocolError) -> FieldHeader
    mutating func readFieldEnd() throws(ThriftProtocolError)
    mutating func readListBegin() throws(ThriftProtocolError) -> ListHeader
    mutating func readSetBegin() throws(ThriftProtocolError) -> ListHeader
    mutating func readMapBegin() throws(ThriftProtocolError) -> MapHeader
    mutating func readBool() throws(ThriftProtocolError) -> Bool
    mutating func readByte() throws(ThriftProtocolError) -> Int8
    mutating func readI16() throws(ThriftProtocolError) -> Int16
    mutating func readI32() throws(ThriftProtocolError) -> Int32
    mutating func readI64() throws(ThriftProtocolError) -> Int64
    mutating func readDouble() throws(ThriftProtocolError) -> Double
    mutating func readString() throws(ThriftProtocolError) -> String
    mutating func readBinary() throws(ThriftProtocolError) -> [UInt8]
    mutating func readUUID() throws(ThriftProtocolError) -> UUIDBytes
    /// A list's `count` elements after its header, in one call: the protocols read them in
    /// one pass into an array made at its size (generated code calls these for lists of
    /// i32, i64 and double; the defaults read element by element).
    mutating func readI32s(count: Int) throws(ThriftProtocolError) -> [Int32]
    mutating func readI64s(count: Int) throws(ThriftProtocolError) -> [Int64]
    mutating func readDoubles(count: Int) throws(ThriftProtocolError) -> [Double]
    /// Bytes not yet read.
    var remaining: Int { get }
}

/// `count` values of `T`'s size from `bytes` (already checked to hold them all), each made by
/// `make` from its raw bits: the protocols' bulk list readers.
@inlinable
func fixedWidthArray<T: FixedWidthInteger, E>(_ count: Int, _ bytes: UnsafeRawPointer, _ make: (T) -> E) -> [E] {
    [E](unsafeUninitializedCapacity: count) { buffer, n in
        for i in 0..<count {
            buffer.initializeElement(at: i, to: make(bytes.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)))
        }
        n = count
    }
}

extension ThriftReader {
    public mutating func readI32s(count: Int) throws(ThriftProtocolError) -> [Int32] {
        var values: [Int32] = []
        values.reserveCapacity(Swift.min(count, 1024))
        for _ in 0..<count { values.append(try readI32()) }
        return values
    }

    public mutating func readI64s(count: Int) throws(ThriftProtocolError) -> [Int64] {
        var values: [Int64] = []
        values.reserveCapacity(Swift.min(count, 1024))
        for _ in 0..<count { values.append(try readI64()) }
        return values
    }

    public mutating func readDoubles(count: Int) throws(ThriftProtocolError) -> [Double] {
        var values: [Double] = []
        values.reserveCapacity(Swift.min(count, 1024))
        for _ in 0..<count { values.append(try readDouble()) }
        return values
    }
}

/// Writes Thrift values. Implementations: `BinaryWriter`, `CompactWriter`.
public protocol ThriftWriter {
    mutating func writeMessageBegin(_ header: MessageHeader)
    mutating func writeStructBegin(name: StaticString)
    mutating func writeStructEnd()
    mutating func writeFieldBegin(name: StaticString, type: TType, id: Int16)
    mutating func writeFieldEnd()
    mutating func writeFieldStop()
    mutating func writeListBegin(_ header: ListHeader)
    mutating func writeSetBegin(_ header: ListHeader)
    mutating func writeMapBegin(_ header: MapHeader)
    mutating func writeBool(_ value: Bool)
    mutating func writeByte(_ value: Int8)
    mutating func writeI16(_ value: Int16)
    mutating func writeI32(_ value: Int32)
    mutating func writeI64(_ value: Int64)
    mutating func writeDouble(_ value: Double)
    mutating func writeString(_ value: String)
    mutating func writeBinary(_ value: some Collection<UInt8>)
    mutating func writeUUID(_ value: UUIDBytes)
    /// A list's elements after its header, in one call: one check for room for all of them,
    /// where element by element each write checks (S3's `list<i64>`: 32 checks a request).
    mutating func writeI32s(_ values: [Int32])
    mutating func writeI64s(_ values: [Int64])
    mutating func writeDoubles(_ values: [Double])
}

extension ThriftWriter {
    public mutating func writeI32s(_ values: [Int32]) { for v in values { writeI32(v) } }
    public mutating func writeI64s(_ values: [Int64]) { for v in values { writeI64(v) } }
    public mutating func writeDoubles(_ values: [Double]) { for v in values { writeDouble(v) } }
}

/// A Thrift `uuid`: 16 bytes, in wire order.
public struct UUIDBytes: Sendable, Hashable {
    public var bytes: (UInt64, UInt64)
    public init(high: UInt64, low: UInt64) { bytes = (high, low) }
    public static func == (a: UUIDBytes, b: UUIDBytes) -> Bool { a.bytes == b.bytes }
    public func hash(into h: inout Hasher) {
        h.combine(bytes.0)
        h.combine(bytes.1)
    }
}

/// Deepest nesting `skip` follows; deeper input is an error, never a stack overflow.
public let thriftMaxSkipDepth = 64

extension ThriftReader {
    /// Reads past one value of `type` without keeping it (unknown fields, unknown methods).
    public mutating func skip(_ type: TType) throws(ThriftProtocolError) {
        try skip(type, depth: 0)
    }

    private mutating func skip(_ type: TType, depth: Int) throws(ThriftProtocolError) {
        guard depth < thriftMaxSkipDepth else {
            throw ThriftProtocolError(.depthLimit, "nesting deeper than \(thriftMaxSkipDepth)")
        }
        switch type {
        case .bool: _ = try readBool()
        case .byte: _ = try readByte()
        case .i16: _ = try readI16()
        case .i32: _ = try readI32()
        case .i64: _ = try readI64()
        case .double: _ = try readDouble()
        case .string: try skipBinary()
        case .uuid: _ = try readUUID()
        case .struct:
            try readStructBegin()
            while true {
                let field = try readFieldBegin()
                if field.type == .stop { break }
                try skip(field.type, depth: depth + 1)
                try readFieldEnd()
            }
            try readStructEnd()
        case .list, .set:
            let header = type == .list ? try readListBegin() : try readSetBegin()
            try checkCount(header.count, minimumSize: 1)
            for _ in 0..<header.count { try skip(header.elementType, depth: depth + 1) }
        case .map:
            let header = try readMapBegin()
            try checkCount(header.count, minimumSize: 2)
            for _ in 0..<header.count {
                try skip(header.keyType, depth: depth + 1)
                try skip(header.valueType, depth: depth + 1)
            }
        case .stop, .void:
            throw ThriftProtocolError(.invalidData, "cannot skip a value of type \(type)")
        }
    }

    private mutating func skipBinary() throws(ThriftProtocolError) {
        _ = try readBinary()
    }

    /// Rejects a container count that the remaining bytes cannot hold, before looping over it.
    public func checkCount(_ count: Int, minimumSize: Int) throws(ThriftProtocolError) {
        guard count >= 0 else { throw ThriftProtocolError(.negativeSize, "negative size \(count)") }
        guard count <= remaining / max(minimumSize, 1) else {
            throw ThriftProtocolError(.sizeLimit, "container of \(count) elements beyond the message")
        }
    }
}
