// Python's text rules that baseplate.py's configuration inherits: what counts as whitespace
// (`str.strip`, `str.split`, the regex `\s`), `repr()` of a string (it appears in error texts),
// and the syntax `int()` and `float()` accept. Written from the documented behaviour of CPython
// 3.11 and checked against it by the tests.

/// Python text helpers (internal to the configuration layer).
enum PythonText {
    /// `str.isspace()` for one code point: the characters `strip()`, `split()` and `\s` use.
    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A,
             0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// `str.strip()`.
    static func strip(_ s: some StringProtocol) -> String {
        let u = Array(s.unicodeScalars)
        return String(String.UnicodeScalarView(strip(u[...])))
    }

    static func strip(_ u: ArraySlice<Unicode.Scalar>) -> ArraySlice<Unicode.Scalar> {
        var lo = u.startIndex, hi = u.endIndex
        while lo < hi, isSpace(u[lo]) { lo += 1 }
        while hi > lo, isSpace(u[hi - 1]) { hi -= 1 }
        return u[lo..<hi]
    }

    /// `str.rstrip()`.
    static func rstrip(_ u: ArraySlice<Unicode.Scalar>) -> ArraySlice<Unicode.Scalar> {
        var hi = u.endIndex
        while hi > u.startIndex, isSpace(u[hi - 1]) { hi -= 1 }
        return u[u.startIndex..<hi]
    }

    /// `str.split()` without arguments: runs of whitespace separate, empty fields are dropped.
    static func split(_ s: String) -> [String] {
        var out: [String] = []
        var current = String.UnicodeScalarView()
        for c in s.unicodeScalars {
            if isSpace(c) {
                if !current.isEmpty { out.append(String(current)); current = .init() }
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { out.append(String(current)) }
        return out
    }

    /// `str.split(separator)` with a one-character separator.
    static func split(_ s: String, on separator: Unicode.Scalar) -> [String] {
        s.unicodeScalars.split(separator: separator, omittingEmptySubsequences: false)
            .map { String(String.UnicodeScalarView($0)) }
    }

    /// `repr(s)` of a `str`: single quotes unless the text holds a `'` and no `"`; `\\`, the
    /// quote, `\t`, `\n`, `\r` and non-printable characters escaped.
    static func repr(_ s: String) -> String {
        let quote: Unicode.Scalar = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String.UnicodeScalarView()
        out.append(quote)
        for c in s.unicodeScalars {
            switch c {
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case quote: out.append("\\"); out.append(quote)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            default:
                if isPrintable(c) {
                    out.append(c)
                } else if c.value < 0x100 {
                    out.append(contentsOf: "\\x\(hex(c.value, width: 2))".unicodeScalars)
                } else if c.value < 0x10000 {
                    out.append(contentsOf: "\\u\(hex(c.value, width: 4))".unicodeScalars)
                } else {
                    out.append(contentsOf: "\\U\(hex(c.value, width: 8))".unicodeScalars)
                }
            }
        }
        out.append(quote)
        return String(out)
    }

    /// `str.isprintable()` for one code point.
    static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        if c == " " { return true }
        switch c.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned,
             .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }

    private static func hex(_ v: UInt32, width: Int) -> String {
        let digits = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
