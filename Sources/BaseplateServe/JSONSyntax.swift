/// Whether bytes are one JSON value (RFC 8259), for the HTTP health check, which only needs to
/// know the body parses (as baseplate.py's `response.json()` does). Written out rather than
/// importing Foundation, which alone adds ~8 MB to the server's resident memory.
struct JSONSyntax {
    struct Invalid: Error, CustomStringConvertible {
        var offset: Int
        var description: String { "JSONDecodeError: invalid JSON at byte \(offset)" }
    }

    private let bytes: [UInt8]
    private var i = 0

    static func check(_ bytes: [UInt8]) throws(Invalid) {
        var parser = JSONSyntax(bytes: bytes)
        parser.space()
        try parser.value(depth: 0)
        parser.space()
        guard parser.i == bytes.count else { throw Invalid(offset: parser.i) }
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func space() {
        while let c = peek, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1 }
    }

    private mutating func expect(_ c: UInt8) throws(Invalid) {
        guard peek == c else { throw Invalid(offset: i) }
        i += 1
    }

    private mutating func value(depth: Int) throws(Invalid) {
        guard depth < 512, let c = peek else { throw Invalid(offset: i) }
        switch c {
        case UInt8(ascii: "{"):
            i += 1
            space()
            if peek == UInt8(ascii: "}") { i += 1; return }
            while true {
                space()
                try string()
                space()
                try expect(UInt8(ascii: ":"))
                space()
                try value(depth: depth + 1)
                space()
                if peek == UInt8(ascii: ",") { i += 1; continue }
                try expect(UInt8(ascii: "}"))
                return
            }
        case UInt8(ascii: "["):
            i += 1
            space()
            if peek == UInt8(ascii: "]") { i += 1; return }
            while true {
                space()
                try value(depth: depth + 1)
                space()
                if peek == UInt8(ascii: ",") { i += 1; continue }
                try expect(UInt8(ascii: "]"))
                return
            }
        case UInt8(ascii: "\""): try string()
        case UInt8(ascii: "t"): try word("true")
        case UInt8(ascii: "f"): try word("false")
        case UInt8(ascii: "n"): try word("null")
        default: try number()
        }
    }

    private mutating func word(_ w: StaticString) throws(Invalid) {
        for k in 0..<w.utf8CodeUnitCount { try expect(w.utf8Start[k]) }
    }

    private mutating func string() throws(Invalid) {
        try expect(UInt8(ascii: "\""))
        while let c = peek {
            i += 1
            switch c {
            case UInt8(ascii: "\""): return
            case UInt8(ascii: "\\"):
                guard let e = peek else { throw Invalid(offset: i) }
                i += 1
                if e == UInt8(ascii: "u") {
                    for _ in 0..<4 {
                        guard let h = peek, (h >= 48 && h <= 57) || (h | 0x20 >= 97 && h | 0x20 <= 102) else {
                            throw Invalid(offset: i)
                        }
                        i += 1
                    }
                } else if !"\"\\/bfnrt".utf8.contains(e) {
                    throw Invalid(offset: i - 1)
                }
            case 0..<0x20: throw Invalid(offset: i - 1)
            default: break
            }
        }
        throw Invalid(offset: i)
    }

    private mutating func number() throws(Invalid) {
        let start = i
        func digits() -> Int {
            let from = i
            while let c = peek, c >= 48 && c <= 57 { i += 1 }
            return i - from
        }
        if peek == UInt8(ascii: "-") { i += 1 }
        if peek == UInt8(ascii: "0") { i += 1 } else if digits() == 0 { throw Invalid(offset: start) }
        if peek == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { throw Invalid(offset: i) }
        }
        if let e = peek, e | 0x20 == UInt8(ascii: "e") {
            i += 1
            if let s = peek, s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw Invalid(offset: i) }
        }
    }
}
