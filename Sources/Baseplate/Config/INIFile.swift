#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An INI file read exactly as baseplate.py reads its configuration: Python's
/// `configparser.RawConfigParser` with `os.path.expandvars` applied to every value.
///
/// - `[DEFAULT]` options are inherited by every section (a section's own option wins);
/// - `key = value` or `key: value`, split at the first `=` or `:`; keys are lower-cased,
///   section names are case-sensitive;
/// - `#` and `;` start comments only at the start of a line (`a = 1 ; no` keeps `; no`);
/// - lines indented deeper than an option's first line continue its value, joined with `\n`;
///   blank lines inside a value are kept (trailing ones dropped), comment lines are skipped;
/// - a section or option given twice is an error;
/// - `$NAME` and `${NAME}` are replaced when the variable is set, left as written otherwise;
///   `%` means nothing (`sample_rate = 37%` works).
///
/// ```swift
/// let ini = try INIFile(contentsOf: "service.ini")
/// guard let app = ini.section("app:main") else { ... }
/// let config = try ConfigDecoder().decode(AppConfig.self, from: app)
/// ```
///
/// Differences from Python: a UTF-8 byte order mark at the start is skipped (Python reads it
/// as part of the first line and fails), and values are expanded with the environment given
/// when a section is read (Python reads `os.environ` at that moment too).
public struct INIFile: Sendable {
    /// The file name used in errors.
    public let path: String
    /// `[DEFAULT]`'s options, raw (before variable expansion), in file order.
    public let defaults: [(key: String, value: String)]
    private let sections: [(name: String, options: [(key: String, value: String)])]

    /// Reads and parses a file.
    /// - Throws: ``ParseError``.
    public init(contentsOf path: String) throws {
        let bytes: [UInt8]
        do {
            bytes = try Self.readBytes(path)
        } catch let code {
            throw ParseError(.unreadable, file: path, line: 0,
                             message: "can't open \(PythonText.repr(path)): \(String(cString: strerror(code.value)))")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let bad = Self.firstInvalidUTF8Line(bytes)
            throw ParseError(.invalidEncoding, file: path, line: bad,
                             message: "'utf-8' codec can't decode line \(bad): not UTF-8")
        }
        try self.init(text: text, path: path)
    }

    /// Parses INI text; `path` names it in errors.
    /// - Throws: ``ParseError``.
    public init(text: String, path: String = "<string>") throws {
        self.path = path
        var body = Substring(text)
        if body.unicodeScalars.first == "\u{FEFF}" { body = Substring(body.unicodeScalars.dropFirst()) }
        var parser = INIParser(file: path)
        try parser.read(INIParser.lines(String(body)))
        defaults = parser.defaults.map { ($0.key, INIParser.join($0.lines)) }
        sections = parser.sections.map { section in
            (section.name, section.options.map { ($0.key, INIParser.join($0.lines)) })
        }
    }

    /// The section names in file order, without `DEFAULT` (configparser's `sections()`).
    public var sectionNames: [String] { sections.map(\.name) }

    /// Whether the file has the section (`DEFAULT` is not a section, as in configparser).
    public func hasSection(_ name: String) -> Bool { sections.contains { $0.name == name } }

    /// The section's options, `[DEFAULT]`'s first, each expanded with `environment`
    /// (configparser's `items(section)`), or nil when there is no such section.
    /// `section("DEFAULT")` is `[DEFAULT]` alone.
    public func items(_ name: String, environment: [String: String] = INIFile.processEnvironment())
        -> [(key: String, value: String)]? {
        var merged = defaults
        if name != "DEFAULT" {
            guard let section = sections.first(where: { $0.name == name }) else { return nil }
            for (key, value) in section.options {
                if let i = merged.firstIndex(where: { $0.key == key }) { merged[i].value = value } else { merged.append((key, value)) }
            }
        }
        return merged.map { ($0.key, EnvironmentExpansion.expand($0.value, environment)) }
    }

    /// The section's options as a dictionary, `[DEFAULT]` merged in and variables expanded:
    /// what baseplate.py passes to a factory (`dict(parser.items(section))`). Nil when there is
    /// no such section.
    public func section(_ name: String, environment: [String: String] = INIFile.processEnvironment()) -> [String: String]? {
        guard let items = items(name, environment: environment) else { return nil }
        return Dictionary(items, uniquingKeysWith: { _, last in last })
    }

    /// ``section(_:environment:)``, throwing configparser's `NoSectionError` when missing.
    public func requireSection(_ name: String, environment: [String: String] = INIFile.processEnvironment()) throws -> [String: String] {
        guard let s = section(name, environment: environment) else { throw NoSectionError(file: path, section: name) }
        return s
    }

    /// One option of a section (or of `[DEFAULT]` through it), expanded; configparser's `get`.
    public func value(_ option: String, in section: String,
                      environment: [String: String] = INIFile.processEnvironment()) -> String? {
        items(section, environment: environment)?.first { $0.key == option.lowercased() }?.value
    }

    /// This process's environment, as `os.environ` holds it.
    public static func processEnvironment() -> [String: String] { EnvironmentExpansion.current() }

    /// `os.path.expandvars(value)` with the given environment.
    public static func expandVariables(_ value: String, environment: [String: String]) -> String {
        EnvironmentExpansion.expand(value, environment)
    }

    private struct ErrnoCode: Error { var value: Int32 }

    private static func readBytes(_ path: String) throws(ErrnoCode) -> [UInt8] {
        guard let f = fopen(path, "rbe") else { throw ErrnoCode(value: errno) }
        defer { fclose(f) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n > 0 { data.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count {
                if ferror(f) != 0 { throw ErrnoCode(value: errno) }
                break
            }
        }
        return data
    }

    /// The 1-based line of the first byte sequence that is not UTF-8.
    private static func firstInvalidUTF8Line(_ bytes: [UInt8]) -> Int {
        var line = 1
        var start = 0
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") {
            if String(validating: bytes[start...i], as: UTF8.self) == nil { return line }
            line += 1
            start = i + 1
        }
        return line
    }
}
