/// Writes the binary protocol (strict message headers, as C++ writes by default).
public struct BinaryWriter: ThriftWriter {
    @usableFromInline var out: OutputBytes

    /// The bytes written so far (a copy; `finish()` hands over the buffer itself). Setting
    /// it replaces them (later writes follow).
    public var bytes: [UInt8] {
        get { out.written }
        set { out = OutputBytes(newValue) }
    }

    /// Writes after `bytes` (a reused buffer's capacity is kept).
    public init(bytes: [UInt8] = []) {
        out = OutputBytes(bytes)
    }

    @inlinable
    mutating func be<T: FixedWidthInteger>(_ value: T) {
        out.append(raw: value.bigEndian)
    }

    /// The bytes written, handed over without a copy.
    public consuming func finish() -> [UInt8] { out.finish() }

    /// Writes over `buffer` from its start (see `OutputBytes.init(reusing:)`).
    init(reusing buffer: [UInt8]) { out = OutputBytes(reusing: buffer) }

    /// The buffer and how much of it is written.
    consuming func take() -> (buffer: [UInt8], count: Int) { out.take() }

    public mutating func writeMessageBegin(_ header: MessageHeader) {
        be(Int32(bitPattern: 0x8001_0000 | UInt32(header.type.rawValue)))
        writeString(header.name)
        be(header.sequenceID)
    }

    public mutating func writeStructBegin(name: StaticString) {}
    public mutating func writeStructEnd() {}

    public mutating func writeFieldBegin(name: StaticString, type: TType, id: Int16) {
        out.append(type.rawValue)
        be(id)
    }

    public mutating func writeFieldEnd() {}
    public mutating func writeFieldStop() { out.append(TType.stop.rawValue) }

    public mutating func writeListBegin(_ header: ListHeader) {
        out.append(header.elementType.rawValue)
        be(Int32(truncatingIfNeeded: header.count))
    }

    public mutating func writeSetBegin(_ header: ListHeader) { writeListBegin(header) }

    public mutating func writeMapBegin(_ header: MapHeader) {
        out.append(header.keyType.rawValue)
        out.append(header.valueType.rawValue)
        be(Int32(truncatingIfNeeded: header.count))
    }

    @inlinable public mutating func writeBool(_ value: Bool) { out.append(value ? 1 : 0) }
    @inlinable public mutating func writeByte(_ value: Int8) { out.append(UInt8(bitPattern: value)) }
    @inlinable public mutating func writeI16(_ value: Int16) { be(value) }
    @inlinable public mutating func writeI32(_ value: Int32) { be(value) }
    @inlinable public mutating func writeI64(_ value: Int64) { be(value) }
    @inlinable public mutating func writeDouble(_ value: Double) { be(value.bitPattern) }

    public mutating func writeI32s(_ values: [Int32]) { out.appendEach(values) { $0.bigEndian } }
    public mutating func writeI64s(_ values: [Int64]) { out.appendEach(values) { $0.bigEndian } }
    public mutating func writeDoubles(_ values: [Double]) { out.appendEach(values) { $0.bitPattern.bigEndian } }

    public mutating func writeString(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            be(Int32(truncatingIfNeeded: utf8.count))
            out.append(contentsOf: utf8)
        }
    }

    public mutating func writeBinary(_ value: some Collection<UInt8>) {
        be(Int32(truncatingIfNeeded: value.count))
        out.append(contentsOf: value)
    }

    public mutating func writeUUID(_ value: UUIDBytes) {
        be(value.bytes.0)
        be(value.bytes.1)
    }
}
