/// Writes JSON text the way Python's `json.dumps` does with its defaults (`", "` and `": "`
/// separators, `ensure_ascii=True`), so the bytes we put on the trace queue or POST match what
/// baseplate.py's recorders send.
struct PythonJSONWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func int(_ value: Int64) {
        bytes.append(contentsOf: String(value).utf8)
    }

    /// A JSON string: `"` and `\` escaped, `\n \r \t \b \f` short, every other byte outside
    /// printable ASCII (including DEL) as `\u00xx`, non-ASCII as `\uxxxx` (surrogate pairs
    /// above U+FFFF), hex digits lower case: Python's `ensure_ascii` output.
    mutating func string(_ text: String) {
        bytes.append(0x22)
        for scalar in text.unicodeScalars {
            let v = scalar.value
            switch v {
            case 0x22: bytes.append(0x5C); bytes.append(0x22)
            case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
            case 0x0A: bytes.append(0x5C); bytes.append(0x6E)
            case 0x0D: bytes.append(0x5C); bytes.append(0x72)
            case 0x09: bytes.append(0x5C); bytes.append(0x74)
            case 0x08: bytes.append(0x5C); bytes.append(0x62)
            case 0x0C: bytes.append(0x5C); bytes.append(0x66)
            case 0x20...0x7E: bytes.append(UInt8(v))
            case 0x10000...:
                let u = v - 0x10000
                escape(0xD800 | (u >> 10))
                escape(0xDC00 | (u & 0x3FF))
            default: escape(v)
            }
        }
        bytes.append(0x22)
    }

    private mutating func escape(_ unit: UInt32) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        bytes.append(0x5C)
        bytes.append(0x75)
        for shift in stride(from: 12, through: 0, by: -4) {
            bytes.append(hex[Int((unit >> UInt32(shift)) & 0xF)])
        }
    }
}
