/// Python's `str(float)` (its `repr`): the shortest digits that round-trip, laid out fixed when
/// the decimal exponent is in [-4, 16) and as `d.ddde±XX` otherwise, `.0` on whole numbers.
/// Zipkin counter annotations carry this text (`counter.k` = `"8.0"`).
enum PythonFloat {
    static func repr(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        // Swift's description also prints the shortest round-trip digits; take them out of it.
        let (digits, pointPosition) = shortestDigits(abs(value))
        let sign = value < 0 ? "-" : ""
        // pointPosition: value = 0.d1d2d3... × 10^pointPosition (Python's `decpt`).
        if pointPosition > -4 && pointPosition <= 16 {
            if pointPosition <= 0 {
                return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
            }
            if digits.count <= pointPosition {
                return sign + digits + String(repeating: "0", count: pointPosition - digits.count) + ".0"
            }
            let split = digits.index(digits.startIndex, offsetBy: pointPosition)
            return sign + digits[..<split] + "." + digits[split...]
        }
        let exponent = pointPosition - 1
        var mantissa = String(digits.first!)
        if digits.count > 1 { mantissa += "." + digits.dropFirst() }
        let exponentText = abs(exponent) < 10 ? "0\(abs(exponent))" : "\(abs(exponent))"
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + exponentText
    }

    /// The significant digits of a positive finite value (no leading or trailing zeros) and the
    /// position of the decimal point relative to them.
    private static func shortestDigits(_ value: Double) -> (String, Int) {
        let text = value.description  // "123.45", "1e-05", "1.5e+20", "0.001"
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...])!
        }
        var intPart = mantissa
        var fracPart: Substring = ""
        if let dot = mantissa.firstIndex(of: ".") {
            intPart = mantissa[..<dot]
            fracPart = mantissa[mantissa.index(after: dot)...]
        }
        var digits = String(intPart) + fracPart
        var point = intPart.count + exponent
        while digits.first == "0" { digits.removeFirst(); point -= 1 }
        while digits.last == "0" { digits.removeLast() }
        return (digits, point)
    }
}
