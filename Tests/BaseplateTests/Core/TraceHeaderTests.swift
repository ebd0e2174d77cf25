import CBaseplateIO
@testable import Baseplate
import Testing

/// Trace ids are kept as numbers when they are canonical decimal UInt64s (and as text
/// otherwise); either way they read back as sent.
@Suite struct TraceHeaderTests {
    static let ids = [
        "0", "7", "1297436526129784125", "9999999999999999999", "10000000000000000000",
        "18446744073709551615",  // UInt64.max: 20 digits, the last one checked for overflow
        "18446744073709551616", "99999999999999999999", "123456789012345678901",  // too large
        "0123", "12a4", "-5", "+5", " 5", "", "١٢٣",
    ]

    @Test(arguments: ids)
    func identifierReadsBackAsSent(_ text: String) {
        let id = SpanIdentifier(text)
        #expect(id.text == text)
        let expected = UInt64(text).flatMap { String($0) == text ? $0 : nil }
        if let expected {
            #expect(id == .number(expected))
        } else {
            #expect(id == .text(text))
        }
    }

    @Test func headersAreReadCaseInsensitivelyFirstWins() throws {
        let headers = ThriftHeaders([
            ("trace", Array("18446744073709551615".utf8)), ("SPAN", Array("42".utf8)),
            ("Span", Array("43".utf8)), ("sAmPlEd", Array("1".utf8)), ("Parent", Array("x-1".utf8)),
            ("user-agent", Array("caller".utf8)), ("Deadline-BudgeT", Array("250".utf8)),
            ("Trace-", Array("1".utf8)), ("Flags", Array("5".utf8)),
        ])
        let known = BaseplateHeaders(headers)
        #expect(known.trace == .number(UInt64.max))
        #expect(known.span == .number(42))
        #expect(known.parent == .text("x-1"))
        #expect(known.sampled)
        #expect(known.deadlineBudgetMS == 250)
        #expect(known.flags == .some(5))
    }

    /// Names are matched a word at a time with the case bit set on every byte: a letter matches
    /// either case, and nothing but '-' passes for '-' (0x0D would, without its own check).
    /// The same from the C core's headers, as the server reads them.
    @Test func namesMatchByLettersAndDashOnly() {
        let near: [(String, [UInt8])] = [
            ("user\ragent", Array("cr".utf8)), ("USER-AGENT", Array("upper".utf8)),
            ("Deadline\rBudget", Array("9".utf8)), ("deadline_budget", Array("8".utf8)),
            ("Deadline-Budget", Array("250".utf8)), ("SPAM", Array("1".utf8)), ("spaN", Array("42".utf8)),
            ("traces", Array("1".utf8)), ("Sampled", Array("1".utf8)), ("PARENT", Array("7".utf8)),
            ("flag5", Array("3".utf8)),
        ]
        let headers = ThriftHeaders(near.map { ($0.0, $0.1) })
        // The C core's form: pointers into bytes that outlive the scan.
        let bytes = near.map { (Array($0.0.utf8), $0.1) }
        var copies: [UnsafeMutableBufferPointer<UInt8>] = []
        defer { copies.forEach { $0.deallocate() } }
        func copy(_ a: [UInt8]) -> UnsafeMutableBufferPointer<UInt8> {
            let p = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(a.count, 1))
            _ = p.initialize(from: a)
            copies.append(p)
            return p
        }
        let cHeaders = bytes.map { k, v in
            bpio_header(key: copy(k).baseAddress, value: copy(v).baseAddress, key_len: UInt32(k.count), value_len: UInt32(v.count))
        }
        let fromC = cHeaders.withUnsafeBufferPointer { BaseplateHeaders($0.baseAddress, count: $0.count) }
        for known in [BaseplateHeaders(headers), fromC] {
            #expect(known.deadlineBudgetMS == 250)
            #expect(known.span == .number(42))
            #expect(known.trace == nil)
            #expect(known.sampled)
            #expect(known.parent == .number(7))
            #expect(known.flags == nil)
        }
    }
}
