@testable import Baseplate
import Testing

/// Lists of i32, i64 and double are read and written in one call by both protocols: the bytes
/// must be those of the element-by-element calls, and bad input must fail the same way.
@Suite struct BulkListTests {
    static let edges: [Int64] = [0, 1, -1, 63, -64, 64, 127, 128, 16_383, 16_384, Int64(Int32.max), Int64(Int32.min),
                                 .max, .min, .max - 1, .min + 1]

    static func i64s() -> [Int64] {
        var g = SystemRandomNumberGenerator()
        return edges + (0..<200).map { i in Int64.random(in: .min ... .max, using: &g) >> (i % 64) }
    }

    @Test(arguments: [false, true]) func writesTheBytesOfElementByElement(compact: Bool) {
        let i64s = Self.i64s()
        let i32s = i64s.map { Int32(truncatingIfNeeded: $0) }
        let doubles = i64s.map { Double(bitPattern: UInt64(bitPattern: $0)) } + [.nan, .infinity, -0.0]
        func bytes(_ write: (inout any ThriftWriter) -> Void) -> [UInt8] {
            var w: any ThriftWriter = compact ? CompactWriter() : BinaryWriter()
            write(&w)
            return (w as? CompactWriter)?.bytes ?? (w as! BinaryWriter).bytes
        }
        #expect(bytes { $0.writeI64s(i64s) } == bytes { w in i64s.forEach { w.writeI64($0) } })
        #expect(bytes { $0.writeI32s(i32s) } == bytes { w in i32s.forEach { w.writeI32($0) } })
        #expect(bytes { $0.writeDoubles(doubles) } == bytes { w in doubles.forEach { w.writeDouble($0) } })
        #expect(bytes { $0.writeI64s([]) }.isEmpty)
    }

    @Test func readsWhatWasWrittenInBothProtocols() throws {
        let i64s = Self.i64s()
        let i32s = i64s.map { Int32(truncatingIfNeeded: $0) }
        let doubles = i64s.map { Double(bitPattern: UInt64(bitPattern: $0)) }
        var b = BinaryWriter()
        var c = CompactWriter()
        for v in i64s { b.writeI64(v); c.writeI64(v) }
        for v in i32s { b.writeI32(v); c.writeI32(v) }
        for v in doubles { b.writeDouble(v); c.writeDouble(v) }
        let binary = Self.copy(b.bytes), compact = Self.copy(c.bytes)
        defer { binary.deallocate(); compact.deallocate() }
        var r = BinaryReader(UnsafeRawBufferPointer(binary))
        #expect(try r.readI64s(count: i64s.count) == i64s)
        #expect(try r.readI32s(count: i32s.count) == i32s)
        #expect(try r.readDoubles(count: doubles.count).map(\.bitPattern) == doubles.map(\.bitPattern))
        #expect(try r.readI64s(count: 0) == [] && r.remaining == 0)
        var cr = CompactReader(UnsafeRawBufferPointer(compact))
        #expect(try cr.readI64s(count: i64s.count) == i64s)
        #expect(try cr.readI32s(count: i32s.count) == i32s)
        #expect(try cr.readDoubles(count: doubles.count).map(\.bitPattern) == doubles.map(\.bitPattern))
        #expect(cr.remaining == 0)
    }

    /// Bytes that outlive the readers made over them.
    static func copy(_ bytes: [UInt8]) -> UnsafeMutableRawBufferPointer {
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
        raw.copyBytes(from: bytes)
        return raw
    }

    /// A count the bytes cannot hold, or elements cut short, is an error (and a hostile count
    /// allocates nothing: it is checked against the bytes left first).
    @Test func shortInputIsAnError() {
        let eight = Self.copy([0, 0, 0, 0, 0, 0, 0, 1])
        // A varint whose continuation bit runs off the end.
        let cut = Self.copy([0x02, 0x80, 0x80])
        defer { eight.deallocate(); cut.deallocate() }
        var r = BinaryReader(UnsafeRawBufferPointer(eight))
        #expect(throws: ThriftProtocolError.self) { try r.readI64s(count: 2) }
        var h = BinaryReader(UnsafeRawBufferPointer(eight))
        #expect(throws: ThriftProtocolError.self) { try h.readI32s(count: Int(Int32.max)) }
        var c = CompactReader(UnsafeRawBufferPointer(eight))
        #expect(throws: ThriftProtocolError.self) { try c.readI64s(count: 9) }
        var d = CompactReader(UnsafeRawBufferPointer(eight))
        #expect(throws: ThriftProtocolError.self) { try d.readDoubles(count: 2) }
        var e = CompactReader(UnsafeRawBufferPointer(cut))
        #expect(throws: ThriftProtocolError.self) { try e.readI64s(count: 2) }
    }
}
