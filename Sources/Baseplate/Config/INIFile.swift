#if canImport(Glibc)
import Glibc
#endif

/// An INI file read with Python `configparser` semantics, as baseplate.py reads its config:
/// `[DEFAULT]` inherited by every section, `=` or `:` delimiters, full-line `#`/`;` comments
/// only, indented continuation lines, lower-cased option names, duplicates are errors, and
/// `$VAR`/`${VAR}` expanded when the variable is set (no `%` interpolation).
public struct INIFile: Sendable {
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { "\(file):\(line): \(message)" }
    }

    /// Section name → option → raw value (before variable expansion), in file order.
    private var sections: [(name: String, options: [(String, String)])] = []
    private var defaults: [(String, String)] = []
    public let path: String

    public init(contentsOf path: String) throws {
        guard let text = readFile(path) else {
            throw ParseError(file: path, line: 0, message: "cannot read the file")
        }
        try self.init(text: text, path: path)
    }

    public init(text: String, path: String = "<string>") throws {
        self.path = path
        var current: Int? = nil  // index into sections, or nil for DEFAULT / before any section
        var inDefault = false
        var lastKey: String? = nil
        var seenSections = Set<String>()
        var seenKeys = Set<String>()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, rawLine) in lines.enumerated() {
            let lineNo = i + 1
            var line = String(rawLine)
            if line.hasSuffix("\r") { line.removeLast() }
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty {
                lastKey = nil
                continue
            }
            if trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            let indented = line.first == " " || line.first == "\t"
            if indented, let key = lastKey {
                // A continuation line joins the previous value with a newline.
                if inDefault {
                    let idx = defaults.lastIndex { $0.0 == key }!
                    defaults[idx].1 += "\n" + trimmed
                } else if let s = current {
                    let idx = sections[s].options.lastIndex { $0.0 == key }!
                    sections[s].options[idx].1 += "\n" + trimmed
                }
                continue
            }
            if trimmed.hasPrefix("[") {
                guard trimmed.hasSuffix("]") else {
                    throw ParseError(file: path, line: lineNo, message: "malformed section header: \(trimmed)")
                }
                let name = String(trimmed.dropFirst().dropLast())
                guard seenSections.insert(name).inserted else {
                    throw ParseError(file: path, line: lineNo, message: "section '\(name)' already exists")
                }
                seenKeys = []
                lastKey = nil
                if name == "DEFAULT" {
                    inDefault = true
                    current = nil
                } else {
                    inDefault = false
                    sections.append((name, []))
                    current = sections.count - 1
                }
                continue
            }
            guard inDefault || current != nil else {
                throw ParseError(file: path, line: lineNo, message: "option outside any section: \(trimmed)")
            }
            let delimiter = trimmed.firstIndex { $0 == "=" || $0 == ":" }
            let key: String
            let value: String
            if let d = delimiter {
                key = String(trimmed[..<d]).trimmingWhitespace().lowercased()
                value = String(trimmed[trimmed.index(after: d)...]).trimmingWhitespace()
            } else {
                throw ParseError(file: path, line: lineNo, message: "expected 'key = value': \(trimmed)")
            }
            guard !key.isEmpty else {
                throw ParseError(file: path, line: lineNo, message: "empty option name")
            }
            guard seenKeys.insert(key).inserted else {
                throw ParseError(file: path, line: lineNo, message: "option '\(key)' already exists in this section")
            }
            if inDefault {
                defaults.append((key, value))
            } else {
                sections[current!].options.append((key, value))
            }
            lastKey = key
        }
    }

    public var sectionNames: [String] { sections.map(\.name) }

    public func hasSection(_ name: String) -> Bool { sections.contains { $0.name == name } }

    /// The section's options with `[DEFAULT]` merged in and variables expanded, or nil when
    /// the section does not exist.
    public func section(_ name: String, environment: [String: String]) -> [String: String]? {
        guard let s = sections.first(where: { $0.name == name }) else { return nil }
        var out: [String: String] = [:]
        for (k, v) in defaults { out[k] = expandVariables(v, environment) }
        for (k, v) in s.options { out[k] = expandVariables(v, environment) }
        return out
    }
}

/// `os.path.expandvars`: `$NAME` and `${NAME}` become the variable's value when it is set;
/// anything else stays as written.
func expandVariables(_ value: String, _ env: [String: String]) -> String {
    guard value.contains("$") else { return value }
    var out = ""
    var i = value.startIndex
    func isNameChar(_ c: Character) -> Bool { c == "_" || (c.isASCII && (c.isLetter || c.isNumber)) }
    while i < value.endIndex {
        let c = value[i]
        guard c == "$" else {
            out.append(c)
            i = value.index(after: i)
            continue
        }
        let next = value.index(after: i)
        if next < value.endIndex, value[next] == "{" {
            if let close = value[next...].firstIndex(of: "}") {
                let name = String(value[value.index(after: next)..<close])
                if !name.isEmpty, name.allSatisfy(isNameChar), let v = env[name] {
                    out += v
                } else {
                    out += value[i...close]
                }
                i = value.index(after: close)
                continue
            }
            out.append(c)
            i = next
            continue
        }
        var end = next
        while end < value.endIndex, isNameChar(value[end]) { end = value.index(after: end) }
        let name = String(value[next..<end])
        if !name.isEmpty, let v = env[name] {
            out += v
        } else {
            out += value[i..<end]
        }
        i = end
    }
    return out
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return String(s)
    }
}

func readFile(_ path: String) -> String? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&chunk, 1, chunk.count, f)
        if n > 0 { data.append(contentsOf: chunk[0..<n]) }
        if n < chunk.count { break }
    }
    return String(decoding: data, as: UTF8.self)
}
