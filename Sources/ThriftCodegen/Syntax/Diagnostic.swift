/// A position in an IDL file: 1-based line and column (columns count UTF-8 bytes).
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:col`
    public var description: String { "\(file):\(line):\(column)" }
}

/// Why an IDL file could not be compiled. Every stage (lexer, parser, resolver, generator) reports
/// its first error this way; the CLI prints `file:line:col: error: message` and exits non-zero.
public struct ThriftCodegenError: Error, Hashable, Sendable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String

    public init(_ location: SourceLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    /// `file:line:col: error: message`, as compilers print it (and as SwiftPM shows plugin output).
    public var description: String { "\(location): error: \(message)" }
}
