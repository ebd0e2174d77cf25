/// A raw configuration (an INI section's options) seen from a dotted key prefix: the way to
/// read options with ``ConfigParser`` values.
///
/// ```swift
/// let c = ConfigReader(appSection)
/// let timeout = try c("timeout", .timespan)             // key "timeout"
/// let metrics = c.scope("metrics")
/// let namespace = try metrics("namespace", .string)     // key "metrics.namespace"
/// ```
///
/// Every error is a ``ConfigurationError`` naming the full key path, with baseplate.py's text.
public struct ConfigReader: Sendable {
    /// The whole raw configuration.
    public let raw: [String: String]
    /// The dotted prefix of this reader's keys; `""` at the root.
    public let keyPath: String

    public init(_ raw: [String: String], keyPath: String = "") {
        self.raw = raw
        self.keyPath = keyPath
    }

    /// The full key path of `key` under this reader's prefix.
    public func path(_ key: String) -> String { ConfigKeys.join(keyPath, key) }

    /// Parses the option `key` (under this reader's prefix) with `parser`. A missing option is
    /// parsed as `""`, as in baseplate.py. `key` may itself be dotted (`"a.b"` is the same as
    /// `scope("a")("b", ...)`).
    /// - Throws: ``ConfigurationError``.
    public func callAsFunction<Value>(_ key: String, _ parser: ConfigParser<Value>) throws -> Value {
        try parser.parse(key: path(key), in: raw)
    }

    /// Parses the option `key` with its type's parser (``ConfigDecodable``), or decodes a
    /// `Decodable` struct from the options under `key.` (see ``ConfigDecoder``).
    /// - Throws: ``ConfigurationError``.
    public func callAsFunction<Value: Decodable>(_ key: String, as type: Value.Type = Value.self) throws -> Value {
        try ConfigDecoder().decode(type, from: raw, keyPath: path(key))
    }

    /// A reader of the options under `key.`.
    public func scope(_ key: String) -> ConfigReader {
        ConfigReader(raw, keyPath: path(key))
    }

    /// Whether the option `key`, or any option under `key.`, is present.
    public func contains(_ key: String) -> Bool {
        ConfigKeys.hasAny(path(key), in: raw)
    }

    /// The raw text of the option `key`, if present.
    public subscript(key: String) -> String? { raw[path(key)] }
}

/// `baseplate.lib.config.parse_config`: reads a raw configuration with a spec written as a
/// closure over a ``ConfigReader``.
///
/// ```swift
/// struct AppConfig { var simple: Bool; var once: Int; var deep: Duration }
/// let cfg = try parseConfig(raw) { c in
///     AppConfig(simple: try c("simple", .boolean),
///               once: try c("nested.once", .integer),
///               deep: try c.scope("nested").scope("really")("deep", .timespan))
/// }
/// ```
/// - Throws: ``ConfigurationError``, or what `spec` throws.
public func parseConfig<Value>(_ raw: [String: String], _ spec: (ConfigReader) throws -> Value) throws -> Value {
    try spec(ConfigReader(raw))
}

/// `parse_config` with a `Decodable` type as the spec (see ``ConfigDecoder``).
/// - Throws: ``ConfigurationError``.
public func parseConfig<Value: Decodable>(_ raw: [String: String], as type: Value.Type) throws -> Value {
    try ConfigDecoder().decode(type, from: raw)
}
