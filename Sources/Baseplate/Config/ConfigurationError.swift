/// A configuration value that does not satisfy its spec: baseplate.py's `ConfigurationError`.
///
/// Its description is `"<key>: <error>"`, e.g.
/// `foo.not_here: invalid literal for int() with base 10: ''`.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The dotted key path of the offending option (`metrics.namespace`).
    public var key: String
    /// What is wrong with it, in baseplate.py's words where it has any.
    public var error: String

    public init(key: String, error: String) {
        self.key = key
        self.error = error
    }

    public var description: String { "\(key): \(error)" }
}

/// The error a parser of one text value throws (Python's `ValueError` in baseplate.py): the key
/// is added when the parser runs for a key, making a `ConfigurationError`.
public struct ConfigValueError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
