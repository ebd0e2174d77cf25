@testable import Baseplate
import Testing

/// The eight-at-a-time digit reader against the plain definition, for every length 0-20 and a
/// non-digit (each byte just outside '0'...'9', and others) at every position.
struct ASCIIDecimalTests {
    static func plain(_ bytes: [UInt8]) -> UInt64? {
        guard !bytes.isEmpty, bytes.count <= 19, bytes.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return UInt64(String(decoding: bytes, as: UTF8.self))
    }

    static func ours(_ bytes: [UInt8]) -> UInt64? {
        bytes.withUnsafeBufferPointer { ASCIIDecimal.value($0) }
    }

    @Test func agreesWithThePlainDefinition() {
        var random = SystemRandomNumberGenerator()
        for length in 0...20 {
            for _ in 0..<50 {
                let digits = (0..<length).map { _ in UInt8.random(in: 48...57, using: &random) }
                #expect(Self.ours(digits) == Self.plain(digits), "\(digits)")
                for position in 0..<length {
                    for odd: UInt8 in [47, 58, 0x20, 0x00, 0xB0, 0x39 | 0x80, 0x3A, 0x3F, 0x2F, 0x70] {
                        var bad = digits
                        bad[position] = odd
                        #expect(Self.ours(bad) == nil, "\(bad)")
                    }
                }
            }
        }
        #expect(Self.ours(Array("9999999999999999999".utf8)) == 9_999_999_999_999_999_999)
        #expect(Self.ours(Array("0000000000000000001".utf8)) == 1)
        #expect(Self.ours(Array("12345678".utf8)) == 12_345_678)
    }

    /// Writing: the text of `String(value)` for every power of ten and its neighbours (where
    /// the digit count changes) and random values of every bit length.
    @Test func writesWhatStringDoes() {
        var values: [UInt64] = [0, 1, 9, .max, .max - 1]
        var p: UInt64 = 1
        for _ in 0...19 {
            values += [p - 1, p, p + 1]
            if p <= UInt64.max / 10 { p *= 10 }
        }
        var random = SystemRandomNumberGenerator()
        for bits in 0..<64 { values += (0..<20).map { _ in UInt64.random(in: 0 ... UInt64.max, using: &random) >> bits } }
        var out = [UInt8](repeating: 0, count: 20)
        for v in values {
            let n = out.withUnsafeMutableBufferPointer { ASCIIDecimal.write(v, to: $0.baseAddress!) }
            #expect(String(decoding: out[..<n], as: UTF8.self) == String(v))
        }
    }
}
