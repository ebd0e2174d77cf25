@testable import Baseplate
import Testing

/// Strings read off the wire: the ASCII fast path agrees with the standard library's strict
/// validation wherever a non-ASCII or invalid byte falls (every position of every block size).
struct UTF8StrictTests {
    @Test(arguments: [[0xC3, 0xA9], [0xFF], [0xE2, 0x82], [0x7F]] as [[UInt8]])
    func agreesWithStrictValidation(_ odd: [UInt8]) {
        for length in 0..<80 {
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
