@testable import Baseplate
import Testing

/// The writers' buffer against plain array appends: random writes of every kind, across many
/// growths, from empty, after initial bytes, and over a reused buffer full of other bytes.
struct OutputBytesTests {
    @Test(arguments: [0, 1, 2, 3])
    func matchesArrayAppends(_ seed: UInt64) {
        var rng = ConfigTestRandom(seed: seed)  // deterministic (Config/ConfigCrossCheckTests.swift)
        let initial = (0..<Int(rng.next() % 10)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        var expected = initial
        var out = OutputBytes(initial)
        var reused = OutputBytes(reusing: [UInt8](repeating: 0xAB, count: Int(rng.next() % 100)))
        var reusedExpected: [UInt8] = []
        for _ in 0..<2_000 {
            let v = rng.next()
            var piece: [UInt8] = []
            switch v % 5 {
            case 0:
                piece = [UInt8(truncatingIfNeeded: v >> 8)]
                out.append(piece[0]); reused.append(piece[0])
            case 1:
                withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).bigEndian) { piece = Array($0) }
                out.append(raw: UInt32(truncatingIfNeeded: v).bigEndian); reused.append(raw: UInt32(truncatingIfNeeded: v).bigEndian)
            case 2:
                withUnsafeBytes(of: v.littleEndian) { piece = Array($0) }
                out.append(raw: v.littleEndian); reused.append(raw: v.littleEndian)
            case 3:
                piece = (0..<Int(v % 300)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
                piece.withUnsafeBufferPointer { out.append(contentsOf: $0) }
                reused.append(contentsOf: piece[...].lazy.map { $0 })  // not contiguous: byte by byte
            default:
                piece = Array("text \(v)".utf8)
                out.append(contentsOf: piece); reused.append(contentsOf: piece)
            }
            expected += piece
            reusedExpected += piece
        }
        #expect(out.written == expected)
        let (buffer, count) = reused.take()
        #expect(Array(buffer[..<count]) == reusedExpected)
        #expect(out.finish() == expected)
    }
}
