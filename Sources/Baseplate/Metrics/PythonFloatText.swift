#if canImport(Glibc)
import Glibc
#endif

/// Python's text for floats, as statsd lines carry it: `'%g' % x` for values and sample rates
/// (baseplate.py formats with `f"{x:g}"`), and `str(x)` for float tag values.
enum PythonFloatText {
    /// `'%g' % value`: 6 significant digits, fixed notation for decimal exponents -4...5,
    /// otherwise `d.ddddde+XX`; trailing zeros (and a bare point) dropped.
    static func g(_ value: Double) -> String {
        var out: [UInt8] = []
        appendG(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func appendG(_ value: Double, to out: inout some ByteSink) {
        append(to: &out) { writeG(value, to: $0) }
    }

    /// What `write` puts in stack memory (room for `maxGLength` + 1 bytes), appended to `out`.
    private static func append(to out: inout some ByteSink, _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxGLength + 1) { buffer in
            let count = write(buffer.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// `'%g' % ms` for `ms = Double(nanoseconds) * 1e-6` (a timer, as `Span.elapsedMilliseconds`
    /// gives it), from the integer: its six significant digits are the exact decimal's, rounded,
    /// unless the digits cut off are exactly a half (then the double decides, as Python's do).
    /// ~100 instructions where the double's path takes ~500 (callgrind).
    static func appendMilliseconds(nanoseconds: Int64, to out: inout some ByteSink) {
        append(to: &out) { writeMilliseconds(nanoseconds: nanoseconds, to: $0) }
    }

    static func writeMilliseconds(nanoseconds ns: Int64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        // Past 10^15 ns (11 days) the double's own error could reach the sixth digit.
        guard ns > 0, ns < 1_000_000_000_000_000 else { return writeG(Double(ns) * 1e-6, to: out) }
        var length = 1  // decimal digits of ns
        var power: Int64 = 10
        while power <= ns {
            length += 1
            power &*= 10
        }
        var digits: Int64
        if length <= 6 {
            digits = ns * Self.tens[6 - length]
        } else {
            let cut = Self.tens[length - 6]
            let (whole, rest) = ns.quotientAndRemainder(dividingBy: cut)
            if rest * 2 == cut { return writeG(Double(ns) * 1e-6, to: out) }  // a tie
            digits = whole + (rest * 2 > cut ? 1 : 0)
        }
        var exponent = length - 7  // of the first digit, in milliseconds
        if digits == 1_000_000 {
            digits = 100_000
            exponent += 1
        }
        return render(digits: Int(digits), exponent: exponent, to: out)
    }

    private static let tens: [Int64] = (0...18).map { k in (0..<k).reduce(Int64(1)) { p, _ in p * 10 } }

    /// The longest `%g` text of a double ("-2.22507e-308" is 13 bytes; libc's output is cut here).
    static let maxGLength = 24

    /// Writes `'%g' % value` at `out` (room for `maxGLength` + 1 bytes); returns its length. Into
    /// raw memory: an Array append per character cost ~300 instructions a timer (callgrind).
    static func writeG(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        if value.isNaN { return write("nan", to: out) }  // Python never prints "-nan"
        if value.isInfinite { return write(value < 0 ? "-inf" : "inf", to: out) }
        var n = 0
        if value.sign == .minus {
            out[0] = UInt8(ascii: "-")
            n = 1
        }
        let a = value.magnitude
        if a == 0 {
            out[n] = UInt8(ascii: "0")
            return n + 1
        }
        // The common case (counts, whole milliseconds): an integer below 10^6 prints as itself.
        if a < 1e6, a == a.rounded(.towardZero) { return n + ASCIIDecimal.write(UInt64(a), to: out + n) }
        if let (digits, exponent) = roundToSixDigits(a) {
            return n + render(digits: digits, exponent: exponent, to: out + n)
        }
        return n + writeWithLibc(a, to: out + n)
    }

    private static func write(_ text: StaticString, to out: UnsafeMutablePointer<UInt8>) -> Int {
        text.withUTF8Buffer { bytes in
            for (i, byte) in bytes.enumerated() { out[i] = byte }
            return bytes.count
        }
    }

    /// Rounds `a` (finite, > 0) to 6 significant digits: `digits` in 100000...999999 and the
    /// decimal exponent of the first digit. The scaled value's error is at most half an ulp
    /// (< 1.2e-10 below 10^6), so within 1e-9 of a rounding tie the exact value decides. nil
    /// when the scale is not an exact power of ten (|k| > 22) or the exact check does not fit.
    private static func roundToSixDigits(_ a: Double) -> (Int, Int)? {
        // floor(log10(a)) or one less: a = m·2^e with m in [1, 2) (log10 cost ~150 instructions)
        var exponent = Int((Double(Int(a.exponent)) * 0.301_029_995_663_981_2).rounded(.down))
        for _ in 0..<3 {
            let k = 5 - exponent
            guard k.magnitude <= 22 else { return nil }
            let scaled = k >= 0 ? a * powersOfTen[k] : a / powersOfTen[-k]
            if scaled < 100_000 { exponent -= 1; continue }
            if scaled >= 1_000_000 { exponent += 1; continue }
            let whole = scaled.rounded(.down)
            let fraction = scaled - whole  // exact
            var up = fraction > 0.5
            if (fraction - 0.5).magnitude < 1e-9 {
                // Next to a tie (a timer's whole nanoseconds end in 5 one time in ten): decide
                // on the exact binary value.
                guard let exact = roundsUp(a, k: k, whole: Int(whole)) else { return nil }
                up = exact
            }
            var digits = Int(whole) + (up ? 1 : 0)
            if digits == 1_000_000 {
                digits = 100_000
                exponent += 1
            }
            return (digits, exponent)
        }
        return nil
    }

    /// Whether `a`·10^k rounds up from `whole` to 6 digits, half to even, computed exactly in
    /// 128-bit integers: `a` = m·2^q, compared with (2·whole + 1)/2. nil when a side would not
    /// fit (then libc decides).
    private static func roundsUp(_ a: Double, k: Int, whole: Int) -> Bool? {
        guard a.isNormal, whole >= 0 else { return nil }
        let m = UInt128(a.significandBitPattern | (1 << 52))
        let q = Int(a.exponent) - 52
        let half = UInt128(2 * whole + 1)  // (2·whole + 1) is twice the midpoint
        var tenPower: UInt128 = 1
        for _ in 0..<k.magnitude { tenPower *= 10 }  // |k| <= 22: at most 74 bits
        func shifted(_ x: UInt128, _ s: Int) -> UInt128? {
            s < 128 && x.leadingZeroBitCount > s ? x << s : nil
        }
        // Twice the value against (2·whole + 1), both scaled to integers.
        var lhs = m * 2, rhs = half
        if k >= 0 {
            let (product, overflow) = lhs.multipliedReportingOverflow(by: tenPower)
            guard !overflow else { return nil }
            lhs = product
        } else {
            let (product, overflow) = rhs.multipliedReportingOverflow(by: tenPower)
            guard !overflow else { return nil }
            rhs = product
        }
        if q >= 0 {
            guard let l = shifted(lhs, q) else { return nil }
            lhs = l
        } else {
            guard let r = shifted(rhs, -q) else { return nil }
            rhs = r
        }
        if lhs != rhs { return lhs > rhs }
        return whole % 2 == 1  // an exact tie: to even
    }

    private static let powersOfTen: [Double] = (0...22).map { k in
        var p = 1.0
        for _ in 0..<k { p *= 10 }  // exact: every 10^k up to 10^22 is a double
        return p
    }

    /// The six digits (`digits` in 100000...999999, trailing zeros dropped) in fixed or exponent
    /// notation; returns the length.
    private static func render(digits: Int, exponent: Int, to out: UnsafeMutablePointer<UInt8>) -> Int {
        // The six digits two at a time, then copied in runs (a byte at a time through a closure
        // cost ~240 instructions a timer, callgrind).
        var six: UInt64 = 0  // eight bytes of room for the six digits
        return withUnsafeMutableBytes(of: &six) { raw in
            let d = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            _ = ASCIIDecimal.write(UInt64(digits), to: d)
            var significant = 6
            while significant > 1, d[significant - 1] == UInt8(ascii: "0") { significant -= 1 }
            var n = 0
            func copy(_ from: Int, _ to: Int) {
                guard from < to else { return }
                (out + n).update(from: d + from, count: to - from)
                n += to - from
            }
            if exponent >= -4 && exponent < 6 {
                if exponent >= 0 {
                    copy(0, exponent + 1)
                    if significant > exponent + 1 {
                        out[n] = UInt8(ascii: ".")
                        n += 1
                        copy(exponent + 1, significant)
                    }
                } else {
                    (out + n).initialize(repeating: UInt8(ascii: "0"), count: -exponent + 1)
                    out[n + 1] = UInt8(ascii: ".")
                    n += -exponent + 1
                    copy(0, significant)
                }
            } else {
                copy(0, 1)
                if significant > 1 {
                    out[n] = UInt8(ascii: ".")
                    n += 1
                    copy(1, significant)
                }
                out[n] = UInt8(ascii: "e")
                out[n + 1] = UInt8(ascii: exponent < 0 ? "-" : "+")
                n += 2
                if exponent.magnitude < 10 {
                    out[n] = UInt8(ascii: "0")
                    n += 1
                }
                n += ASCIIDecimal.write(UInt64(exponent.magnitude), to: out + n)
            }
            return n
        }
    }

    /// glibc's printf rounds exactly (half to even on the binary value), as Python's dtoa does:
    /// it decides the rare cases doubles cannot.
    private static func writeWithLibc(_ a: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let count = withVaList([a]) { args in
            out.withMemoryRebound(to: CChar.self, capacity: maxGLength) { vsnprintf($0, maxGLength, "%g", args) }
        }
        return min(Int(count), maxGLength - 1)
    }

    /// `f"{value:.0f}"` (glibc rounds half to even on the binary value, as Python does).
    static func fixed0(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        var buffer = [CChar](repeating: 0, count: 400)
        let count = withVaList([value]) { vsnprintf(&buffer, buffer.count, "%.0f", $0) }
        return String(decoding: buffer[0..<min(Int(count), buffer.count - 1)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Python's `str(x)` for a float: the shortest digits that read back as `x` (Swift finds the
    /// same ones), fixed notation for decimal exponents -4...15 with at least one fraction
    /// digit (`3.0`), otherwise `d.ddde+XX`; `nan`, `inf`, `-inf`.
    static func str(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        // Swift's own text, taken apart into digits and the exponent of the first digit.
        var text = Substring(value.magnitude.description)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = text[..<e]
        }
        let point = text.firstIndex(of: ".") ?? text.endIndex
        exponent += text.distance(from: text.startIndex, to: point) - 1
        var digits = Array(text.filter { $0 != "." })
        while digits.count > 1, digits.first == "0" {
            digits.removeFirst()
            exponent -= 1
        }
        while digits.count > 1, digits.last == "0" { digits.removeLast() }
        var out = value.sign == .minus ? "-" : ""
        if exponent >= -4 && exponent < 16 {
            if exponent >= 0 {
                let whole = digits.prefix(exponent + 1)
                out += String(whole) + String(repeating: "0", count: exponent + 1 - whole.count)
                let fraction = digits.dropFirst(exponent + 1)
                out += "." + (fraction.isEmpty ? "0" : String(fraction))
            } else {
                out += "0." + String(repeating: "0", count: -exponent - 1) + String(digits)
            }
        } else {
            out += String(digits[0])
            if digits.count > 1 { out += "." + String(digits.dropFirst()) }
            out += (exponent < 0 ? "e-" : "e+") + (exponent.magnitude < 10 ? "0" : "") + String(exponent.magnitude)
        }
        return out
    }
}
