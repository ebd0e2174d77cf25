/// How IDL names become Swift names.
public enum SwiftNames {
    /// Words that must be escaped with backticks to be used as identifiers (contextual keywords
    /// included where escaping does no harm).
    static let keywords: Set<String> = [
        "associatedtype", "borrowing", "class", "consuming", "deinit", "enum", "extension", "fileprivate", "func",
        "import", "init", "inout", "internal", "let", "nonisolated", "open", "operator", "private", "precedencegroup",
        "protocol", "public", "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "catch",
        "continue", "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return",
        "throw", "switch", "where", "while", "Any", "as", "await", "false", "is", "nil", "self", "Self", "super",
        "throws", "true", "try", "Protocol", "Type", "package", "some", "any", "copy", "consume", "discard",
    ]

    /// Standard-library names that a type declared at module level would shadow for every module
    /// importing it (Swift prefers an imported module's declaration to the standard library's).
    /// Such IDL types are prefixed with their namespace: `exception Error` in namespace Baseplate
    /// becomes `BaseplateError`.
    static let standardLibraryTypes: Set<String> = [
        "Any", "AnyObject", "Array", "Bool", "Character", "ClosedRange", "Codable", "Collection", "Comparable",
        "Decodable", "Dictionary", "Double", "Encodable", "Equatable", "Error", "Float", "Hashable", "Hasher",
        "Identifiable", "Int", "Int8", "Int16", "Int32", "Int64", "Never", "Optional", "Range", "Result",
        "Sendable", "Sequence", "Set", "String", "Substring", "UInt", "UInt8", "UInt16", "UInt32", "UInt64",
        "Void", "Task", "Duration", "Equatable", "CustomStringConvertible", "Unicode", "Iterator", "AsyncSequence",
    ]

    /// Runtime (module Baseplate) names generated code uses unqualified; an IDL type of that name
    /// would shadow them.
    static let runtimeNames: Set<String> = [
        "ThriftStruct", "ThriftReader", "ThriftWriter", "ThriftProtocolError", "ThriftProcessor", "ThriftCall",
        "RequestContext", "ThriftChannel", "ThriftClientCall", "TApplicationException", "TType", "ListHeader",
        "MapHeader", "BinaryReader", "CompactReader", "BinaryWriter", "UUIDBytes", "Swift", "Baseplate",
    ]

    /// `name`, in backticks if it is a keyword.
    public static func escape(_ name: String) -> String {
        keywords.contains(name) ? "`\(name)`" : name
    }

    /// `is_healthy` → `isHealthy`, `NOT_FOUND` → `notFound`, `HTTPRequest` → `httpRequest`,
    /// `userName` stays. Leading underscores go; a leading digit gets `_`.
    public static func lowerCamel(_ name: String) -> String {
        let parts = name.split(separator: "_").map(String.init)
        guard let first = parts.first else { return "" }
        var result = lowerFirstWord(first)
        for part in parts.dropFirst() {
            result += isUpper(part) ? part.prefix(1).uppercased() + part.dropFirst().lowercased()
                                    : part.prefix(1).uppercased() + part.dropFirst()
        }
        if let c = result.first, c.isNumber { result = "_" + result }
        return result
    }

    /// `foo_bar` → `FooBar`, `foo-bar` → `FooBar`, `FooBar` stays.
    public static func upperCamel(_ name: String) -> String {
        let parts = name.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        var result = parts.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        if let c = result.first, c.isNumber { result = "_" + result }
        return result
    }

    /// A Swift identifier (ASCII letters, digits, `_`, not starting with a digit).
    public static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }

    static func isUpper(_ s: String) -> Bool {
        s.contains(where: \.isLetter) && !s.contains(where: \.isLowercase)
    }

    static func lowerFirstWord(_ word: String) -> String {
        if isUpper(word) { return word.lowercased() }
        let chars = Array(word)
        var n = 0
        while n < chars.count, chars[n].isUppercase { n += 1 }
        if n == 0 { return word }
        if n == chars.count || !chars[n].isLetter { return String(chars[..<n]).lowercased() + String(chars[n...]) }
        if n == 1 { return chars[0].lowercased() + String(chars[1...]) }
        // An acronym run: all but its last capital (which starts the next word).
        return String(chars[..<(n - 1)]).lowercased() + String(chars[(n - 1)...])
    }

    /// A Swift string literal for `s`.
    public static func stringLiteral(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\0": out += "\\0"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
