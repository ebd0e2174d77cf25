extension INIFile {
    /// A file that cannot be read as an INI file, with the file and line and configparser's
    /// wording. `description` is `"<file>:<line>: <message>"`.
    public struct ParseError: Error, CustomStringConvertible, Equatable, Sendable {
        public enum Kind: Sendable, Equatable {
            /// The file cannot be opened or read (line 0).
            case unreadable
            /// The file is not UTF-8.
            case invalidEncoding
            /// A line other than a comment or blank before the first section header
            /// (configparser's `MissingSectionHeaderError`).
            case missingSectionHeader
            /// A section header seen twice (`DuplicateSectionError`).
            case duplicateSection(String)
            /// An option seen twice in one section (`DuplicateOptionError`).
            case duplicateOption(section: String, option: String)
            /// Lines that are neither a section header nor `key = value` nor a continuation
            /// (`ParsingError`, which lists every such line; `line` is the first).
            case invalidLines([Int])
        }

        public var kind: Kind
        public var file: String
        public var line: Int
        /// What is wrong, in configparser's words (without the file and line).
        public var message: String
        /// The text Python's configparser gives for the same file (`str(exception)`).
        public var configparserMessage: String

        public var description: String { "\(file):\(line): \(message)" }

        init(_ kind: Kind, file: String, line: Int, message: String, configparserMessage: String? = nil) {
            self.kind = kind
            self.file = file
            self.line = line
            self.message = message
            self.configparserMessage = configparserMessage ?? message
        }

        static func missingSectionHeader(file: String, line: Int, text: String) -> ParseError {
            ParseError(.missingSectionHeader, file: file, line: line,
                       message: "File contains no section headers: \(PythonText.repr(chomp(text)))",
                       configparserMessage: "File contains no section headers.\nfile: \(PythonText.repr(file)), line: \(line)\n\(PythonText.repr(text))")
        }

        static func duplicateSection(_ name: String, file: String, line: Int) -> ParseError {
            let what = "section \(PythonText.repr(name)) already exists"
            return ParseError(.duplicateSection(name), file: file, line: line, message: what,
                              configparserMessage: "While reading from \(PythonText.repr(file)) [line \(pad2(line))]: \(what)")
        }

        static func duplicateOption(_ option: String, section: String, file: String, line: Int) -> ParseError {
            let what = "option \(PythonText.repr(option)) in section \(PythonText.repr(section)) already exists"
            return ParseError(.duplicateOption(section: section, option: option), file: file, line: line, message: what,
                              configparserMessage: "While reading from \(PythonText.repr(file)) [line \(pad2(line))]: \(what)")
        }

        static func invalidLines(_ lines: [(number: Int, text: String)], file: String) -> ParseError {
            let short = lines.map { "[line \($0.number)]: \(PythonText.repr(chomp($0.text)))" }.joined(separator: "; ")
            let long = lines.map { "\n\t[line \(pad2($0.number))]: \(PythonText.repr($0.text))" }.joined()
            return ParseError(.invalidLines(lines.map(\.number)), file: file, line: lines[0].number,
                              message: "Source contains parsing errors: \(short)",
                              configparserMessage: "Source contains parsing errors: \(PythonText.repr(file))\(long)")
        }

        /// `"{0:2d}".format(n)`.
        private static func pad2(_ n: Int) -> String { n < 10 && n >= 0 ? " \(n)" : "\(n)" }

        private static func chomp(_ text: String) -> String {
            text.hasSuffix("\n") ? String(text.unicodeScalars.dropLast()) : text
        }
    }

    /// A section that the file does not have (configparser's `NoSectionError`):
    /// `No section: 'app:main'`.
    public struct NoSectionError: Error, CustomStringConvertible, Equatable, Sendable {
        public var file: String
        public var section: String
        public var description: String { "\(file): No section: \(PythonText.repr(section))" }
    }
}
