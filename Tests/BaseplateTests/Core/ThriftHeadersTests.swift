@testable import Baseplate
import CBaseplateIO
import Testing

/// ThriftHeaders keeps its headers in one buffer shared by copies: adding to one copy leaves
/// the others as they were, and the buffer grows as headers are added.
@Suite struct ThriftHeadersTests {
    @Test func copiesAreIndependentAndTheBufferGrows() {
        var a = ThriftHeaders()
        #expect(a.count == 0)
        #expect(a.string("Trace") == nil)
        a.add("Trace", "123")
        let b = a  // shares a's buffer
        a.add("Span", "456")
        #expect(a.count == 2 && b.count == 1)
        #expect(b.string("span") == nil)
        #expect(a.string("SPAN") == "456")
        var c = b
        c.add("Span", "789")
        #expect(c.string("span") == "789" && a.string("span") == "456" && b.string("span") == nil)
        // Past the first buffer's size (64 bytes), many times over.
        for i in 0..<200 { a.add("x-\(i)", String(repeating: "v", count: i)) }
        #expect(a.count == 202)
        #expect(a.string("x-199") == String(repeating: "v", count: 199))
        #expect(a.string("trace") == "123")
        #expect(Array(a).map(\.name).prefix(3) == ["Trace", "Span", "x-0"])
        a.add("bin", bytes: [0, 255])
        #expect(a["BIN"] == [0, 255])
    }

    /// A request frame's headers: its key/value block copied as it is, or, when the frame has
    /// several blocks, header by header; either way in wire order, lengths of 128 and more too.
    @Test(arguments: [1, 2]) func fromAFrameInWireOrder(blocks: Int) {
        let long = String(repeating: "v", count: 200)
        let pairs: [(String, String)] = [("Trace", "1"), ("empty", ""), ("trace", "2"), ("User-Agent", long)]
        let cut = blocks == 1 ? pairs.count : 2
        let body = Self.theaderBody(blocks: [Array(pairs[..<cut]), Array(pairs[cut...])].filter { !$0.isEmpty })
        let headers = body.withUnsafeBufferPointer { b -> ThriftHeaders in
            var cHeaders = [bpio_header](repeating: bpio_header(), count: Int(BPIO_MAX_HEADERS))
            var frame = bpio_frame()
            var why: UnsafePointer<CChar>?
            let status = bpio_theader_parse(b.baseAddress, b.count, &cHeaders, &frame, &why)
            #expect(status == BPIO_OK)
            #expect((frame.header_block != nil) == (blocks == 1))
            return ThriftHeaders(frame)  // the frame's bytes go after this
        }
        #expect(headers.count == 4)
        #expect(headers.string("TRACE") == "1")  // the first of a name wins
        #expect(headers.string("empty") == "")
        #expect(headers.string("user-agent") == long)
        #expect(Array(headers).map(\.name) == ["Trace", "empty", "trace", "User-Agent"])
        #expect(ThriftHeaders(bpio_frame()).count == 0)
    }

    /// A THeader frame's body (after the length) with the given key/value blocks, compact.
    static func theaderBody(blocks: [[(String, String)]]) -> [UInt8] {
        func varint(_ n: Int) -> [UInt8] {
            var out: [UInt8] = [], v = n
            while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
            return out + [UInt8(v)]
        }
        var header: [UInt8] = [2, 0]  // compact, no transforms
        for block in blocks {
            header += [1] + varint(block.count)  // a key/value block
            for (k, v) in block { header += varint(k.utf8.count) + Array(k.utf8) + varint(v.utf8.count) + Array(v.utf8) }
        }
        while header.count % 4 != 0 { header.append(0) }
        let words = header.count / 4
        return [0x0F, 0xFF, 0, 0, 0, 0, 0, 7, UInt8(words >> 8), UInt8(words & 0xFF)] + header + [0x82, 0x21, 7, 0]
    }
}
