@testable import Baseplate
import Testing

/// Strings read off the wire: the ASCII fast path (short strings) and the decode-and-compare
/// path (64 bytes and more) agree with the standard library's strict validation wherever a
/// non-ASCII or invalid byte falls (every position of every block size). Among the invalid
/// ones: a truncated 4-byte sequence, which decoding repairs into one U+FFFD of the same length,
/// a surrogate and an overlong encoding.
struct UTF8StrictTests {
    @Test(arguments: [
        [0xC3, 0xA9], [0xFF], [0xE2, 0x82], [0x7F], [0xF0, 0x9F, 0x98], [0xF0, 0x9F, 0x98, 0x80],
        [0xED, 0xA0, 0x80], [0xC0, 0xAF],
    ] as [[UInt8]])
    func agreesWithStrictValidation(_ odd: [UInt8]) {
        for length in Array(0..<80) + [127, 128, 1023] {
            for position in 0...length {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                bytes.insert(contentsOf: odd, at: position)
                let ours = bytes.withUnsafeBytes { UTF8Strict.string($0.baseAddress, $0.count) }
                let expected = bytes.withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) }
                #expect(ours == expected, "\(bytes)")
            }
        }
    }
}
