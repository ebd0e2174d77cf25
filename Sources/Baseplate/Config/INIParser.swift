// The reading loop of Python's `configparser.RawConfigParser` (3.11) with baseplate.py's
// settings (the defaults: `=`/`:` delimiters, `#`/`;` full-line comments, no inline comments,
// strict, empty lines kept in values, `[DEFAULT]`), re-expressed line by line:
//
// - a line whose stripped text starts with `#` or `;` is a comment, even inside a value;
// - a blank line adds an empty line to the value being read (trailing ones are dropped at
//   the end), and a comment line does not;
// - a line indented deeper than the line that started the current option continues it;
// - otherwise `[name]` (up to the last `]`) starts a section, and `key = value` or
//   `key: value` (split at the first delimiter) an option, its key lower-cased;
// - any other line is collected as a parsing error, reported after the whole file is read,
//   unless a fatal error (no section header yet, duplicate section or option) comes first.

struct INIParser {
    struct Line {
        var number: Int
        var scalars: [Unicode.Scalar]  // without the line break
        var terminated: Bool
        /// The line as configparser holds it (with its `\n`), for error texts.
        var text: String { String(String.UnicodeScalarView(scalars)) + (terminated ? "\n" : "") }
    }

    let file: String
    var defaults: [(key: String, lines: [String])] = []
    var sections: [(name: String, options: [(key: String, lines: [String])])] = []

    init(file: String) { self.file = file }

    /// Splits text into lines at `\n`, `\r\n` and `\r` (Python's universal newlines).
    static func lines(_ text: String) -> [Line] {
        var result: [Line] = []
        var current: [Unicode.Scalar] = []
        var previousCR = false
        for c in text.unicodeScalars {
            if c == "\n" && previousCR {
                previousCR = false
                continue
            }
            previousCR = c == "\r"
            if c == "\n" || c == "\r" {
                result.append(Line(number: result.count + 1, scalars: current, terminated: true))
                current = []
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { result.append(Line(number: result.count + 1, scalars: current, terminated: false)) }
        return result
    }

    /// Where options go: `[DEFAULT]` or a section (by index).
    private enum Target: Equatable { case defaults, section(Int) }

    mutating func read(_ lines: [Line]) throws(INIFile.ParseError) {
        var seen = Set<String>()            // sections and "section\0option" pairs already read
        var target: Target? = nil
        var sectionName = ""
        var option: String? = nil           // the option continuation lines extend
        var indentLevel = 0
        var invalid: [(number: Int, text: String)] = []

        for line in lines {
            let stripped = PythonText.strip(line.scalars[...])
            let isComment = stripped.first == "#" || stripped.first == ";"
            if stripped.isEmpty || isComment {
                if !isComment, target != nil, let option, !option.isEmpty {
                    appendLine("", to: option, in: target!)
                }
                continue
            }
            let value = String(String.UnicodeScalarView(stripped))
            let indent = line.scalars.firstIndex { !PythonText.isSpace($0) } ?? 0
            if let target, let option, !option.isEmpty, indent > indentLevel {
                appendLine(value, to: option, in: target)
                continue
            }
            indentLevel = indent
            if let name = Self.sectionHeader(stripped) {
                if let index = sections.firstIndex(where: { $0.name == name }) {
                    if seen.contains(name) { throw .duplicateSection(name, file: file, line: line.number) }
                    target = .section(index)
                    seen.insert(name)
                } else if name == "DEFAULT" {
                    target = .defaults
                } else {
                    sections.append((name, []))
                    target = .section(sections.count - 1)
                    seen.insert(name)
                }
                sectionName = name
                option = nil
                continue
            }
            guard let current = target else {
                throw .missingSectionHeader(file: file, line: line.number, text: line.text)
            }
            guard let (rawKey, optionValue) = Self.option(stripped) else {
                invalid.append((line.number, line.text))
                continue
            }
            if rawKey.isEmpty { invalid.append((line.number, line.text)) }
            let key = rawKey.lowercased()
            guard seen.insert(sectionName + "\0" + key).inserted else {
                throw .duplicateOption(key, section: sectionName, file: file, line: line.number)
            }
            setOption(key, [optionValue], in: current)
            option = key
        }
        if !invalid.isEmpty { throw .invalidLines(invalid, file: file) }
    }

    /// The name in `[name]`: from after the first `[` to the last `]`, at least one character.
    static func sectionHeader(_ s: ArraySlice<Unicode.Scalar>) -> String? {
        guard s.first == "[", let close = s.lastIndex(of: "]"), close > s.startIndex + 1 else { return nil }
        return String(String.UnicodeScalarView(s[(s.startIndex + 1)..<close]))
    }

    /// `key = value` or `key: value`, split at the first delimiter, both sides stripped.
    static func option(_ s: ArraySlice<Unicode.Scalar>) -> (String, String)? {
        guard let d = s.firstIndex(where: { $0 == "=" || $0 == ":" }) else { return nil }
        let key = PythonText.rstrip(s[..<d])
        let value = PythonText.strip(s[(d + 1)...])
        return (String(String.UnicodeScalarView(key)), String(String.UnicodeScalarView(value)))
    }

    private mutating func setOption(_ key: String, _ lines: [String], in target: Target) {
        switch target {
        case .defaults:
            if let i = defaults.firstIndex(where: { $0.key == key }) { defaults[i].lines = lines } else { defaults.append((key, lines)) }
        case .section(let s):
            if let i = sections[s].options.firstIndex(where: { $0.key == key }) {
                sections[s].options[i].lines = lines
            } else {
                sections[s].options.append((key, lines))
            }
        }
    }

    private mutating func appendLine(_ text: String, to key: String, in target: Target) {
        switch target {
        case .defaults:
            if let i = defaults.lastIndex(where: { $0.key == key }) { defaults[i].lines.append(text) }
        case .section(let s):
            if let i = sections[s].options.lastIndex(where: { $0.key == key }) { sections[s].options[i].lines.append(text) }
        }
    }

    /// A value's lines joined with `\n`, trailing whitespace (the blank lines) removed.
    static func join(_ lines: [String]) -> String {
        let joined = Array(lines.joined(separator: "\n").unicodeScalars)
        return String(String.UnicodeScalarView(PythonText.rstrip(joined[...])))
    }
}
