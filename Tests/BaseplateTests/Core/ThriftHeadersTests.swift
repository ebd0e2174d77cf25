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

    @Test func fromTheCoreArrayInWireOrder() {
        let pairs: [(String, String)] = [("Trace", "1"), ("empty", ""), ("trace", "2"), ("User-Agent", "svc")]
        // The core's array points into the frame: here, one buffer holding every name and value.
        let bytes = pairs.flatMap { Array($0.0.utf8) + Array($0.1.utf8) }
        let headers = bytes.withUnsafeBufferPointer { frame -> ThriftHeaders in
            var c: [bpio_header] = []
            var at = frame.baseAddress!
            for (k, v) in pairs {
                let (kn, vn) = (k.utf8.count, v.utf8.count)
                c.append(bpio_header(key: at, value: at + kn, key_len: UInt32(kn), value_len: UInt32(vn)))
                at += kn + vn
            }
            return c.withUnsafeBufferPointer { ThriftHeaders($0.baseAddress, count: $0.count) }
        }
        #expect(headers.count == 4)
        #expect(headers.string("TRACE") == "1")  // the first of a name wins
        #expect(headers.string("empty") == "")
        #expect(Array(headers).map(\.name) == ["Trace", "empty", "trace", "User-Agent"])
        #expect(ThriftHeaders(nil, count: 0).count == 0)
    }
}
