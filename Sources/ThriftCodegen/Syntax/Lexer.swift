/// One token of Thrift IDL.
public struct Token: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// `[A-Za-z_][A-Za-z0-9_.]*`: keywords are identifiers too; the parser tells them apart.
        case identifier(String)
        /// Decimal or `0x` hex, sign included (`true`/`false` are identifiers here).
        case integer(Int64)
        case double(Double)
        /// A `"…"` or `'…'` literal, escapes resolved.
        case string(String)
        /// One of `{ } ( ) [ ] < > , ; : = * &`.
        case symbol(Character)
        case end
    }

    public var kind: Kind
    public var location: SourceLocation
    /// The text of the `/** … */` comment right before this token, if any.
    public var doc: String?

    public init(_ kind: Kind, _ location: SourceLocation, doc: String? = nil) {
        self.kind = kind
        self.location = location
        self.doc = doc
    }
}

extension Token.Kind: CustomStringConvertible {
    /// How error messages name the token.
    public var description: String {
        switch self {
        case .identifier(let s): "'\(s)'"
        case .integer(let v): "integer \(v)"
        case .double(let v): "number \(v)"
        case .string: "string literal"
        case .symbol(let c): "'\(c)'"
        case .end: "end of file"
        }
    }
}

/// Splits IDL text into tokens. Comments (`//`, `#`, `/* */`) are dropped; a `/** */` comment is
/// attached to the token that follows it as documentation.
public struct Lexer {
    let bytes: [UInt8]
    let file: String
    var position = 0
    var line = 1
    var lineStart = 0

    public init(text: String, file: String) {
        self.bytes = Array(text.utf8)
        self.file = file
    }

    /// Every token, ending with `.end`.
    public static func tokenize(_ text: String, file: String) throws(ThriftCodegenError) -> [Token] {
        var lexer = Lexer(text: text, file: file)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    var location: SourceLocation {
        SourceLocation(file: file, line: line, column: position - lineStart + 1)
    }

    func peek(_ offset: Int = 0) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    mutating func advance() {
        if bytes[position] == UInt8(ascii: "\n") {
            line += 1
            lineStart = position + 1
        }
        position += 1
    }

    /// The next token, with the doc comment (if any) that precedes it.
    public mutating func next() throws(ThriftCodegenError) -> Token {
        var doc: String?
        while let c = peek() {
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") {
                advance()
            } else if c == UInt8(ascii: "#") || (c == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "/")) {
                while let c = peek(), c != UInt8(ascii: "\n") { advance() }
            } else if c == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "*") {
                let start = location
                let isDoc = peek(2) == UInt8(ascii: "*") && peek(3) != UInt8(ascii: "/")
                let textStart = position + (isDoc ? 3 : 2)
                advance(); advance()
                while true {
                    guard let c = peek() else { throw ThriftCodegenError(start, "unterminated comment") }
                    if c == UInt8(ascii: "*") && peek(1) == UInt8(ascii: "/") { break }
                    advance()
                }
                let textEnd = position
                advance(); advance()
                if isDoc {
                    doc = Lexer.cleanDoc(String(decoding: bytes[textStart..<max(textStart, textEnd)], as: UTF8.self))
                }
            } else {
                break
            }
        }
        let start = location
        guard let c = peek() else { return Token(.end, start, doc: doc) }
        if isLetter(c) || c == UInt8(ascii: "_") {
            let from = position
            while let c = peek(), isLetter(c) || isDigit(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: ".") {
                advance()
            }
            let name = String(decoding: bytes[from..<position], as: UTF8.self)
            if name.hasSuffix(".") || name.contains("..") {
                throw ThriftCodegenError(start, "malformed identifier '\(name)'")
            }
            return Token(.identifier(name), start, doc: doc)
        }
        if isDigit(c) || ((c == UInt8(ascii: "+") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")) && peek(1).map(isDigit) == true)
            || ((c == UInt8(ascii: "+") || c == UInt8(ascii: "-")) && peek(1) == UInt8(ascii: ".") && peek(2).map(isDigit) == true) {
            return Token(try number(start), start, doc: doc)
        }
        if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
            return Token(.string(try string(quote: c, start)), start, doc: doc)
        }
        let symbols = "{}()[]<>,;:=*&"
        if symbols.utf8.contains(c) {
            advance()
            return Token(.symbol(Character(Unicode.Scalar(c))), start, doc: doc)
        }
        let shown = c < 0x80 ? "'\(Character(Unicode.Scalar(c)))'" : "byte 0x\(String(c, radix: 16))"
        throw ThriftCodegenError(start, "unexpected character \(shown)")
    }

    func isLetter(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
    }

    func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    func isHexDigit(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F"))
    }

    mutating func number(_ start: SourceLocation) throws(ThriftCodegenError) -> Token.Kind {
        let from = position
        var negative = false
        if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") {
            negative = peek() == UInt8(ascii: "-")
            advance()
        }
        if peek() == UInt8(ascii: "0"), peek(1) == UInt8(ascii: "x") || peek(1) == UInt8(ascii: "X") {
            advance(); advance()
            let digitsFrom = position
            while let c = peek(), isHexDigit(c) { advance() }
            let digits = String(decoding: bytes[digitsFrom..<position], as: UTF8.self)
            try checkNumberEnd(start)
            guard let magnitude = UInt64(digits, radix: 16), !digits.isEmpty else {
                throw ThriftCodegenError(start, "malformed hex constant")
            }
            return .integer(try signed(magnitude, negative: negative, start))
        }
        var isDouble = false
        while let c = peek(), isDigit(c) { advance() }
        if peek() == UInt8(ascii: "."), peek(1).map(isDigit) == true {
            isDouble = true
            advance()
            while let c = peek(), isDigit(c) { advance() }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            let sign = peek(1) == UInt8(ascii: "+") || peek(1) == UInt8(ascii: "-")
            if peek(sign ? 2 : 1).map(isDigit) == true {
                isDouble = true
                advance()
                if sign { advance() }
                while let c = peek(), isDigit(c) { advance() }
            }
        }
        try checkNumberEnd(start)
        var text = String(decoding: bytes[from..<position], as: UTF8.self)
        if isDouble {
            if text.hasPrefix("+") { text.removeFirst() }
            guard let value = Double(text), value.isFinite else {
                throw ThriftCodegenError(start, "malformed number '\(text)'")
            }
            return .double(value)
        }
        let digits = text.drop { $0 == "+" || $0 == "-" }
        guard let magnitude = UInt64(digits) else {
            throw ThriftCodegenError(start, "integer constant \(text) is out of range")
        }
        return .integer(try signed(magnitude, negative: negative, start))
    }

    func checkNumberEnd(_ start: SourceLocation) throws(ThriftCodegenError) {
        if let c = peek(), isLetter(c) || c == UInt8(ascii: "_") || isDigit(c) {
            throw ThriftCodegenError(start, "malformed number")
        }
    }

    func signed(_ magnitude: UInt64, negative: Bool, _ start: SourceLocation) throws(ThriftCodegenError) -> Int64 {
        if negative {
            if magnitude == UInt64(Int64.max) + 1 { return Int64.min }
            if magnitude <= UInt64(Int64.max) { return -Int64(magnitude) }
        } else if magnitude <= UInt64(Int64.max) {
            return Int64(magnitude)
        }
        throw ThriftCodegenError(start, "integer constant is out of the range of i64")
    }

    mutating func string(quote: UInt8, _ start: SourceLocation) throws(ThriftCodegenError) -> String {
        advance()
        var out: [UInt8] = []
        while true {
            guard let c = peek(), c != UInt8(ascii: "\n") else {
                throw ThriftCodegenError(start, "unterminated string literal")
            }
            if c == quote {
                advance()
                return String(decoding: out, as: UTF8.self)
            }
            if c == UInt8(ascii: "\\") {
                let escapeAt = location
                advance()
                guard let e = peek() else { throw ThriftCodegenError(start, "unterminated string literal") }
                switch e {
                case UInt8(ascii: "\\"): out.append(e)
                case UInt8(ascii: "\""): out.append(e)
                case UInt8(ascii: "'"): out.append(e)
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "t"): out.append(0x09)
                default:
                    throw ThriftCodegenError(escapeAt, "unknown escape sequence '\\\(Character(Unicode.Scalar(e)))'")
                }
                advance()
                continue
            }
            out.append(c)
            advance()
        }
    }

    /// Turns the inside of a `/** … */` comment into plain lines: leading `*`s and the common
    /// indentation go, blank lines at either end go.
    static func cleanDoc(_ raw: String) -> String {
        var lines = raw.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            var l = line.drop { $0 == " " || $0 == "\t" }
            if l.first == "*" {
                l = l.dropFirst()
                if l.first == " " { l = l.dropFirst() }
            } else {
                l = line
            }
            while let last = l.last, last == " " || last == "\t" || last == "\r" { l = l.dropLast() }
            return l
        }
        while lines.first?.allSatisfy({ $0 == " " || $0 == "\t" }) == true { lines.removeFirst() }
        while lines.last?.allSatisfy({ $0 == " " || $0 == "\t" }) == true { lines.removeLast() }
        let indent = lines.filter { !$0.isEmpty }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
        return lines.map { String($0.dropFirst(min(indent, $0.prefix { $0 == " " }.count))) }.joined(separator: "\n")
    }
}
