/// A typed parser of configuration values: the Swift form of baseplate.py's config parsers
/// (`config.Integer`, `config.Timespan`, `config.DictOf(...)`, a spec dict...).
///
/// Most parsers read the text of one option; ``ConfigParser/dictOf(_:)`` and
/// ``ConfigParser/spec(_:)`` read every option under a dotted prefix. Build them with the
/// static members, which mirror baseplate.py's names:
///
/// ```swift
/// let timeout: ConfigParser<Duration> = .timespan
/// let ports: ConfigParser<[Int]> = .tupleOf(.integer)
/// let rate: ConfigParser<Double> = .optional(.percent, default: 0.1)
/// ```
///
/// As in baseplate.py, a key missing from the raw configuration is parsed as `""`, so required
/// parsers fail on it and ``ConfigParser/optional(_:default:)`` gives its default.
public struct ConfigParser<Value>: Sendable {
    /// Parses the option at a dotted key path of a raw configuration.
    let keyed: @Sendable (_ key: String, _ raw: [String: String]) throws -> Value
    /// Parses the text of one option; nil for parsers of a whole prefix (dictOf, spec).
    let text: (@Sendable (String) throws -> Value)?

    /// A parser of one option's text. Throw ``ConfigValueError`` (or any error: its description
    /// is used) to reject the text; the key is added to make a ``ConfigurationError``.
    public init(_ parse: @escaping @Sendable (String) throws -> Value) {
        text = parse
        keyed = { key, raw in
            do {
                return try parse(raw[key] ?? "")
            } catch {
                throw ConfigurationError(key: key, error: errorMessage(error))
            }
        }
    }

    /// A parser that reads any options it wants under `key` (like baseplate.py's `Parser`
    /// subclasses). It should throw ``ConfigurationError`` naming the full key path.
    public init(keyed parse: @escaping @Sendable (_ key: String, _ raw: [String: String]) throws -> Value) {
        keyed = parse
        text = nil
    }

    /// Parses the option at `key` (a dotted path; `""` is the root) of `raw`.
    /// - Throws: ``ConfigurationError``.
    public func parse(key: String, in raw: [String: String]) throws -> Value {
        try keyed(key, raw)
    }

    /// Parses the text of one option, without a key.
    /// - Throws: the parser's error (``ConfigValueError`` for the built-in parsers).
    /// - Precondition: the parser reads one option (not ``dictOf(_:)`` or ``spec(_:)``).
    public func parse(_ text: String) throws -> Value {
        try textParser("parse(_:)")(text)
    }

    /// Whether this parser reads the text of one option (false for dictOf and spec).
    public var readsOneOption: Bool { text != nil }

    /// A parser that applies `transform` to this parser's result.
    public func map<T>(_ transform: @escaping @Sendable (Value) throws -> T) -> ConfigParser<T> {
        if let text {
            return ConfigParser<T> { try transform(try text($0)) }
        }
        let keyed = self.keyed
        return ConfigParser<T>(keyed: { key, raw in
            let value = try keyed(key, raw)
            do {
                return try transform(value)
            } catch let error as ConfigurationError {
                throw error
            } catch {
                throw ConfigurationError(key: key, error: errorMessage(error))
            }
        })
    }

    /// The one-option parse function, for combinators that need one.
    func textParser(_ user: String) -> @Sendable (String) throws -> Value {
        guard let text else {
            preconditionFailure("\(user) needs a parser of one option's text, not dictOf or spec")
        }
        return text
    }
}

/// The text an error contributes to a ``ConfigurationError``.
func errorMessage(_ error: any Error) -> String {
    switch error {
    case let e as ConfigValueError: return e.message
    case let e as ConfigurationError: return e.description
    default: return String(describing: error)
    }
}
