/// The little JSON that prometheus_client's multiprocess files need: writing a key exactly as
/// Python's `json.dumps(..., sort_keys=True)` does (so our files and Python's agree byte for
/// byte), and reading keys back `[str, str, {str: str, ...}, str]`.
enum PythonJSON {
    /// Appends `text` as a JSON string with Python's default `ensure_ascii=True` escapes.
    static func appendString(_ text: String, to out: inout String) {
        out.append("\"")
        for unit in text.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default:
                let hex = String(unit, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        out.append("\"")
    }

    struct Key {
        var metricName: String
        var name: String
        var labels: [(String, String)]
        var help: String
    }

    /// Parses `[metric_name, name, {labels}, help]`; nil for anything else.
    static func parseKey(_ text: String) -> Key? {
        var p = Parser(bytes: Array(text.utf8))
        guard p.eat("["), let metricName = p.string(), p.eat(","), let name = p.string(), p.eat(","),
              p.eat("{") else { return nil }
        var labels: [(String, String)] = []
        if !p.eat("}") {
            repeat {
                guard let label = p.string(), p.eat(":"), let value = p.string() else { return nil }
                labels.append((label, value))
            } while p.eat(",")
            guard p.eat("}") else { return nil }
        }
        guard p.eat(","), let help = p.string(), p.eat("]"), p.atEnd else { return nil }
        return Key(metricName: metricName, name: name, labels: labels, help: help)
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        mutating func skipSpace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }

        var atEnd: Bool {
            mutating get { skipSpace(); return i == bytes.count }
        }

        mutating func eat(_ c: Character) -> Bool {
            skipSpace()
            guard i < bytes.count, bytes[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }

        mutating func string() -> String? {
            guard eat("\"") else { return nil }
            var units: [UInt16] = []
            while i < bytes.count {
                let b = bytes[i]
                i += 1
                switch b {
                case 0x22:
                    return String(decoding: units, as: UTF16.self)
                case 0x5C:
                    guard i < bytes.count else { return nil }
                    let e = bytes[i]
                    i += 1
                    switch e {
                    case 0x22, 0x5C, 0x2F: units.append(UInt16(e))
                    case 0x6E: units.append(0x0A)
                    case 0x72: units.append(0x0D)
                    case 0x74: units.append(0x09)
                    case 0x62: units.append(0x08)
                    case 0x66: units.append(0x0C)
                    case 0x75:
                        guard i + 4 <= bytes.count,
                              let u = UInt16(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16)
                        else { return nil }
                        units.append(u)
                        i += 4
                    default: return nil
                    }
                default:
                    // Raw UTF-8 (ensure_ascii=False writers): decode the whole sequence.
                    if b < 0x80 {
                        units.append(UInt16(b))
                    } else {
                        var end = i
                        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
                        units.append(contentsOf: String(decoding: bytes[(i - 1)..<end], as: UTF8.self).utf16)
                        i = end
                    }
                }
            }
            return nil
        }
    }
}

/// prometheus_client's `floatToGoString`: Python's `repr` of the float, except `+Inf`/`-Inf`/
/// `NaN`, and exponent form from 1e6 up as Go prints it (`1.5e+06`). Used for `le` labels and
/// sample values.
func goFloat(_ d: Double) -> String {
    if d == .infinity { return "+Inf" }
    if d == -.infinity { return "-Inf" }
    if d.isNaN { return "NaN" }
    let s = pythonRepr(d)
    guard d > 0, let dot = s.firstIndex(of: "."), s.distance(from: s.startIndex, to: dot) > 6 else { return s }
    let digits = s[s.index(after: s.startIndex)..<dot] + s[s.index(after: dot)...]
    var mantissa = "\(s.first!).\(digits)"
    while mantissa.last == "0" || mantissa.last == "." { mantissa.removeLast() }
    return "\(mantissa)e+0\(s.distance(from: s.startIndex, to: dot) - 1)"
}

/// Python's `repr(float)`: shortest round-trip digits (as Swift's `description`), written in
/// Python's style: `1.0` not `1`, exponent form below 1e-4 and from 1e16, `1e+16` / `1e-05`.
func pythonRepr(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d < 0 ? "-inf" : "inf" }
    if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
    // Swift's description has the shortest digits; re-layout them the way Python does.
    var text = d.magnitude.description
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        exponent = Int(text[text.index(after: e)...])!
        text = String(text[..<e])
    }
    var digits = text.replacingAll(".", with: "")
    let pointAt = (text.firstIndex(of: ".").map { text.distance(from: text.startIndex, to: $0) } ?? text.count) + exponent
    // Normalise to digits d1d2... with the decimal exponent of d1.
    let leadingZeros = digits.prefix { $0 == "0" }.count
    digits.removeFirst(leadingZeros)
    while digits.count > 1 && digits.last == "0" { digits.removeLast() }
    let exp10 = pointAt - leadingZeros - 1
    let sign = d < 0 ? "-" : ""
    if exp10 < -4 || exp10 >= 16 {
        let mantissa = digits.count > 1 ? "\(digits.first!).\(digits.dropFirst())" : digits
        let e = exp10 < 0 ? "-" + pad2(-exp10) : "+" + pad2(exp10)
        return "\(sign)\(mantissa)e\(e)"
    }
    if exp10 < 0 {
        return "\(sign)0.\(String(repeating: "0", count: -exp10 - 1))\(digits)"
    }
    if digits.count <= exp10 + 1 {
        return "\(sign)\(digits)\(String(repeating: "0", count: exp10 + 1 - digits.count)).0"
    }
    let intPart = digits.prefix(exp10 + 1)
    return "\(sign)\(intPart).\(digits.dropFirst(exp10 + 1))"
}

private func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
