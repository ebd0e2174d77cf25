/// Writes the compact protocol byte-for-byte as Apache C++ does (plain-varint sequence ids,
/// bools folded into field headers, 1/2 for true/false elsewhere).
public struct CompactWriter: ThriftWriter {
    @usableFromInline var out: OutputBytes

    /// The bytes written so far (a copy; `finish()` hands over the buffer itself). Setting
    /// it replaces them (later writes follow).
    public var bytes: [UInt8] {
        get { out.written }
        set { out = OutputBytes(newValue) }
    }
    /// The last field id of each open struct: inline for the usual depths, spilling beyond.
    var lastFieldIDs: InlineArray<16, Int16> = .init(repeating: 0)
    var deeperFieldIDs: [Int16] = []
    var depth = 0
    var lastFieldID: Int16 = 0
    /// A bool field's header is written with its value, so it waits here.
    var pendingBoolField: Int16?

    /// Writes after `bytes` (a reused buffer's capacity is kept).
    public init(bytes: [UInt8] = []) {
        out = OutputBytes(bytes)
    }

    @inlinable
    mutating func varint(_ value: UInt64) {
        out.write(upTo: 10) { Varint.put(value, at: $0) }
    }

    mutating func zigzag(_ value: Int64) {
        varint(Self.zigzagged(value))
    }

    static func zigzagged(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    /// Zigzag varints, all in one write (one check for room: 10 bytes each at most).
    private mutating func zigzags<E>(_ values: [E], _ wide: (E) -> Int64) {
        guard !values.isEmpty else { return }
        out.write(upTo: values.count * 10) { p in
            var n = 0
            for v in values { n += Varint.put(Self.zigzagged(wide(v)), at: p + n) }
            return n
        }
    }

    static func nibble(_ type: TType) -> UInt8 {
        switch type {
        case .stop, .void: 0
        case .bool: 1
        case .byte: 3
        case .i16: 4
        case .i32: 5
        case .i64: 6
        case .double: 7
        case .string: 8
        case .list: 9
        case .set: 10
        case .map: 11
        case .struct: 12
        case .uuid: 13
        }
    }

    /// The bytes written, handed over without a copy.
    public consuming func finish() -> [UInt8] { out.finish() }

    /// Writes over `buffer` from its start (see `OutputBytes.init(reusing:)`).
    init(reusing buffer: [UInt8]) { out = OutputBytes(reusing: buffer) }

    /// The buffer and how much of it is written.
    consuming func take() -> (buffer: [UInt8], count: Int) { out.take() }

    public mutating func writeMessageBegin(_ header: MessageHeader) {
        out.append(0x82)
        out.append(1 | header.type.rawValue << 5)
        varint(UInt64(UInt32(bitPattern: header.sequenceID)))
        writeString(header.name)
    }

    public mutating func writeStructBegin(name: StaticString) {
        if depth < lastFieldIDs.count {
            lastFieldIDs[depth] = lastFieldID
        } else {
            deeperFieldIDs.append(lastFieldID)
        }
        depth += 1
        lastFieldID = 0
    }

    public mutating func writeStructEnd() {
        guard depth > 0 else { return }
        depth -= 1
        lastFieldID = depth < lastFieldIDs.count ? lastFieldIDs[depth] : deeperFieldIDs.removeLast()
    }

    mutating func fieldHeader(nibble: UInt8, id: Int16) {
        let delta = Int(id) - Int(lastFieldID)
        if id > lastFieldID && delta <= 15 {
            out.append(UInt8(delta) << 4 | nibble)
        } else {
            out.append(nibble)
            zigzag(Int64(id))
        }
        lastFieldID = id
    }

    public mutating func writeFieldBegin(name: StaticString, type: TType, id: Int16) {
        if type == .bool {
            pendingBoolField = id
        } else {
            fieldHeader(nibble: Self.nibble(type), id: id)
        }
    }

    public mutating func writeFieldEnd() {}
    public mutating func writeFieldStop() { out.append(0) }

    public mutating func writeListBegin(_ header: ListHeader) {
        let t = Self.nibble(header.elementType)
        if header.count < 15 {
            out.append(UInt8(header.count) << 4 | t)
        } else {
            out.append(0xf0 | t)
            varint(UInt64(header.count))
        }
    }

    public mutating func writeSetBegin(_ header: ListHeader) { writeListBegin(header) }

    public mutating func writeMapBegin(_ header: MapHeader) {
        varint(UInt64(header.count))
        if header.count > 0 {
            out.append(Self.nibble(header.keyType) << 4 | Self.nibble(header.valueType))
        }
    }

    public mutating func writeBool(_ value: Bool) {
        if let id = pendingBoolField {
            pendingBoolField = nil
            fieldHeader(nibble: value ? 1 : 2, id: id)
        } else {
            out.append(value ? 1 : 2)
        }
    }

    public mutating func writeByte(_ value: Int8) { out.append(UInt8(bitPattern: value)) }
    public mutating func writeI16(_ value: Int16) { zigzag(Int64(value)) }
    public mutating func writeI32(_ value: Int32) { zigzag(Int64(value)) }
    public mutating func writeI64(_ value: Int64) { zigzag(value) }

    public mutating func writeDouble(_ value: Double) {
        out.append(raw: value.bitPattern.littleEndian)
    }

    public mutating func writeI32s(_ values: [Int32]) { zigzags(values) { Int64($0) } }
    public mutating func writeI64s(_ values: [Int64]) { zigzags(values) { $0 } }

    public mutating func writeDoubles(_ values: [Double]) { out.appendEach(values) { $0.bitPattern.littleEndian } }

    public mutating func writeString(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            varint(UInt64(utf8.count))
            out.append(contentsOf: utf8)
        }
    }

    public mutating func writeBinary(_ value: some Collection<UInt8>) {
        varint(UInt64(value.count))
        out.append(contentsOf: value)
    }

    public mutating func writeUUID(_ value: UUIDBytes) {
        out.append(raw: value.bytes.0.bigEndian)
        out.append(raw: value.bytes.1.bigEndian)
    }
}
