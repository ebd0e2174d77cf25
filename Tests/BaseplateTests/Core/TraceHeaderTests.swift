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
        #expect(known.userAgent == "caller")
        #expect(known.deadlineBudgetMS == 250)
        #expect(known.flags == .some(5))
    }
}
