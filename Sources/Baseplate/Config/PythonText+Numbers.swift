// Python's `int()` and `float()` on text, with their ValueError texts.

extension PythonText {
    /// CPython first turns Unicode whitespace into spaces and Unicode decimal digits into ASCII
    /// digits; any other non-ASCII character makes the number invalid (nil here).
    private static func asciiNumberText(_ s: String) -> [UInt8]? {
        var out: [UInt8] = []
        for c in s.unicodeScalars {
            if c.isASCII {
                out.append(UInt8(c.value))
            } else if isSpace(c) {
                out.append(0x20)
            } else if c.properties.generalCategory == .decimalNumber, let v = c.properties.numericValue {
                out.append(UInt8(0x30 + Int(v)))
            } else {
                return nil
            }
        }
        return out
    }

    private static func isASCIISpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }

    private static func trimASCII(_ b: [UInt8]) -> ArraySlice<UInt8> {
        var lo = 0, hi = b.count
        while lo < hi, isASCIISpace(b[lo]) { lo += 1 }
        while hi > lo, isASCIISpace(b[hi - 1]) { hi -= 1 }
        return b[lo..<hi]
    }

    /// `int(text, base)`, or the ValueError text Python gives. Values outside a 64-bit `Int`
    /// (which Python accepts) are reported as out of range.
    static func parseInt(_ text: String, base: Int = 10) -> Result<Int, ConfigValueError> {
        precondition(base == 0 || (2...36).contains(base), "int() base must be >= 2 and <= 36, or 0")
        var shown = repr(text)
        if shown.unicodeScalars.count > 200 {
            shown = String(String.UnicodeScalarView(shown.unicodeScalars.prefix(200)))
        }
        let invalid = ConfigValueError("invalid literal for int() with base \(base): \(shown)")
        guard let ascii = asciiNumberText(text) else { return .failure(invalid) }
        var b = trimASCII(ascii)
        var negative = false
        if let f = b.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") {
            negative = f == UInt8(ascii: "-")
            b = b.dropFirst()
        }
        func lower(_ c: UInt8) -> UInt8 { (0x41...0x5A).contains(c) ? c + 0x20 : c }
        var radix = base
        var afterPrefix = false
        if b.count >= 2, b[b.startIndex] == UInt8(ascii: "0") {
            let p = lower(b[b.startIndex + 1])
            let prefixBase = p == UInt8(ascii: "x") ? 16 : p == UInt8(ascii: "o") ? 8 : p == UInt8(ascii: "b") ? 2 : 0
            if prefixBase != 0, base == 0 || base == prefixBase {
                radix = prefixBase
                b = b.dropFirst(2)
                afterPrefix = true
            }
        }
        if radix == 0 {
            radix = 10
            // Base 0 with no prefix: a leading zero is allowed only in zero itself.
            if b.first == UInt8(ascii: "0"), b.contains(where: { $0 != UInt8(ascii: "0") && $0 != UInt8(ascii: "_") }) {
                return .failure(invalid)
            }
        }
        // Digits, with single underscores between digits (and one right after a prefix).
        var value = 0
        var sawDigit = false
        var lastUnderscore = false
        for (i, c) in b.enumerated() {
            if c == UInt8(ascii: "_") {
                if lastUnderscore || (!sawDigit && !(afterPrefix && i == 0)) { return .failure(invalid) }
                lastUnderscore = true
                continue
            }
            let lc = lower(c)
            let d: Int
            switch lc {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = Int(lc - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): d = Int(lc - UInt8(ascii: "a")) + 10
            default: return .failure(invalid)
            }
            guard d < radix else { return .failure(invalid) }
            let (m, o1) = value.multipliedReportingOverflow(by: radix)
            let (s, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
            if o1 || o2 {
                return .failure(ConfigValueError("integer out of range (64 bits): \(shown)"))
            }
            value = s
            sawDigit = true
            lastUnderscore = false
        }
        guard sawDigit, !lastUnderscore else { return .failure(invalid) }
        return .success(value)
    }

    /// `float(text)`, or Python's ValueError text.
    static func parseFloat(_ text: String) -> Result<Double, ConfigValueError> {
        let invalid = ConfigValueError("could not convert string to float: \(repr(text))")
        guard let ascii = asciiNumberText(text) else { return .failure(invalid) }
        var b = trimASCII(ascii)
        var sign = ""
        if let f = b.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") {
            sign = f == UInt8(ascii: "-") ? "-" : ""
            b = b.dropFirst()
        }
        let word = String(decoding: b, as: UTF8.self).lowercased()
        if word == "inf" || word == "infinity" { return .success(sign == "-" ? -.infinity : .infinity) }
        if word == "nan" { return .success(.nan) }
        // digitpart ["." [digitpart]] | "." digitpart, then [("e"|"E") [sign] digitpart];
        // a digitpart is digits with single underscores between them.
        var clean: [UInt8] = []
        var i = b.startIndex
        func digitPart() -> Bool {
            var any = false
            while i < b.endIndex {
                let c = b[i]
                if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) {
                    clean.append(c); any = true; i += 1
                } else if c == UInt8(ascii: "_"), any, i + 1 < b.endIndex,
                          (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i + 1]) {
                    i += 1
                } else {
                    break
                }
            }
            return any
        }
        let intPart = digitPart()
        var fracPart = false
        if i < b.endIndex, b[i] == UInt8(ascii: ".") {
            clean.append(b[i]); i += 1
            fracPart = digitPart()
        }
        guard intPart || fracPart else { return .failure(invalid) }
        if i < b.endIndex, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            clean.append(UInt8(ascii: "e")); i += 1
            if i < b.endIndex, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { clean.append(b[i]); i += 1 }
            guard digitPart() else { return .failure(invalid) }
        }
        guard i == b.endIndex, let v = Double(sign + String(decoding: clean, as: UTF8.self)) else {
            return .failure(invalid)
        }
        return .success(v)
    }
}
