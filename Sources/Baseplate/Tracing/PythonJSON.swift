/// Writes JSON text the way Python's `json.dumps` does with its defaults (`", "` and `": "`
/// separators, `ensure_ascii=True`), so the bytes we put on the trace queue or POST match what
/// baseplate.py's recorders send.
struct PythonJSONWriter {
    /// The Thrift writers' buffer: a span is ~40 short appends, each an `Array.append` otherwise.
    private var out: OutputBytes

    /// The JSON written so far (a copy).
    var bytes: [UInt8] { out.written }

    init(capacity: Int = 1024) { out = OutputBytes(reusing: [UInt8](repeating: 0, count: capacity)) }

    /// The JSON written, handed over without a copy.
    consuming func finish() -> [UInt8] { out.finish() }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    mutating func raw(_ text: [UInt8]) {
        out.append(contentsOf: text)
    }

    /// Decimal digits, written straight in (no String).
    mutating func int(_ value: Int64) {
        out.write(upTo: 21) { p in
            let sign = value < 0 ? 1 : 0
            if sign == 1 { p[0] = UInt8(ascii: "-") }
            return sign + ASCIIDecimal.write(value.magnitude, to: p + sign)
        }
    }

    /// `value`'s decimal digits as a JSON string (`"123"`), straight in.
    mutating func quotedDecimal(_ value: UInt64) {
        out.write(upTo: 22) { p in
            p[0] = 0x22
            let n = ASCIIDecimal.write(value, to: p + 1)
            p[n + 1] = 0x22
            return n + 2
        }
    }

    /// A JSON string: `"` and `\` escaped, `\n \r \t \b \f` short, every other byte outside
    /// printable ASCII (including DEL) as `\u00xx`, non-ASCII as `\uxxxx` (surrogate pairs
    /// above U+FFFF), hex digits lower case: Python's `ensure_ascii` output.
    mutating func string(_ text: String) {
        var text = text
        // Printable ASCII without `"` or `\` (ids, names, most tags) goes in as is, quotes and
        // all, in one write (~120 instructions where the general path below took ~340).
        let plain = text.withUTF8 { utf8 -> Bool in
            guard Self.isPlain(utf8) else { return false }
            out.write(upTo: utf8.count + 2) { p in
                p[0] = 0x22
                if let base = utf8.baseAddress { (p + 1).update(from: base, count: utf8.count) }
                p[utf8.count + 1] = 0x22
                return utf8.count + 2
            }
            return true
        }
        if plain { return }
        out.append(0x22)
        // Runs of printable ASCII are copied whole: escaping scalar by scalar cost ~15,000
        // instructions per span (callgrind).
        text.withUTF8 { utf8 in
            var i = 0
            while i < utf8.count {
                var end = i
                while end < utf8.count, case let b = utf8[end], b >= 0x20, b < 0x7F, b != 0x22, b != 0x5C { end += 1 }
                if end > i { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[i..<end])) }
                guard end < utf8.count else { break }
                i = special(utf8, at: end)
            }
        }
        out.append(0x22)
    }

    /// Whether every byte is printable ASCII other than `"` and `\` (written as is). Eight bytes
    /// at a time: a byte loop with four tests a byte was most of a span's encoding (callgrind).
    static func isPlain(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = utf8.baseAddress else { return true }
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        /// Some byte of `x` is below `n` (for n <= 0x80), or zero: the classic bit tricks.
        func below(_ x: UInt64, _ n: UInt64) -> Bool { (x &- ones &* n) & ~x & highs != 0 }
        func hasZero(_ x: UInt64) -> Bool { below(x, 1) }
        var i = 0
        while i + 8 <= utf8.count {
            let x = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            if x & highs != 0 || below(x, 0x20) || hasZero(x ^ (ones &* 0x7F))
                || hasZero(x ^ (ones &* 0x22)) || hasZero(x ^ (ones &* 0x5C)) {
                return false
            }
            i += 8
        }
        while i < utf8.count {
            let b = base[i]
            guard b >= 0x20, b < 0x7F, b != 0x22, b != 0x5C else { return false }
            i += 1
        }
        return true
    }

    /// Writes the character at `i` (not printable ASCII, or `"` or `\`); returns the index after it.
    private mutating func special(_ utf8: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let b = utf8[i]
        switch b {
        case 0x22: out.append(0x5C); out.append(0x22)
        case 0x5C: out.append(0x5C); out.append(0x5C)
        case 0x0A: out.append(0x5C); out.append(0x6E)
        case 0x0D: out.append(0x5C); out.append(0x72)
        case 0x09: out.append(0x5C); out.append(0x74)
        case 0x08: out.append(0x5C); out.append(0x62)
        case 0x0C: out.append(0x5C); out.append(0x66)
        case ..<0x80: escape(UInt32(b))
        default:
            // A multi-byte sequence (the String is valid UTF-8): its scalar, escaped.
            let count = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
            var v = UInt32(b) & (count == 4 ? 0x07 : count == 3 ? 0x0F : 0x1F)
            for k in 1..<count { v = v << 6 | UInt32(utf8[i + k] & 0x3F) }
            if v >= 0x10000 {
                let u = v - 0x10000
                escape(0xD800 | (u >> 10))
                escape(0xDC00 | (u & 0x3FF))
            } else {
                escape(v)
            }
            return i + count
        }
        return i + 1
    }

    private mutating func escape(_ unit: UInt32) {
        let hex: StaticString = "0123456789abcdef"
        out.append(0x5C)
        out.append(0x75)
        for shift in stride(from: 12, through: 0, by: -4) {
            out.append(hex.utf8Start[Int((unit >> UInt32(shift)) & 0xF)])
        }
    }
}
