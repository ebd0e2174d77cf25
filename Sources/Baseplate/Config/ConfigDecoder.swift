/// Decodes a `Decodable` struct from a raw configuration, baseplate.py-style: each stored
/// property is an option, a nested struct is a dotted prefix, and each field's parser comes
/// from its type (``ConfigDecodable``) or from a ``Parsed`` kind.
///
/// ```swift
/// struct AppConfig: Decodable {
///     struct Metrics: Decodable {
///         var namespace: String                               // metrics.namespace
///         @Parsed<ConfigKind.Percent> var sampleRate: Double  // metrics.sample_rate = 37%
///     }
///     var metrics: Metrics
///     var timeout: Duration                                   // timeout = 30 seconds
///     var backend: Endpoint                                   // backend = localhost:9090
///     var retries: Int?                                       // empty or missing: nil
///     var weights: [String: Int]                              // weights.a = 1, weights.b = 2
/// }
/// let config = try ConfigDecoder().decode(AppConfig.self, from: appSection)
/// ```
///
/// Property names are looked up in snake case (`sampleRate` reads `sample_rate`) unless
/// ``keyStrategy`` is ``KeyStrategy/useDefaultKeys``; `CodingKeys` with explicit names work
/// as usual. Optional properties are nil when their option is empty or missing (nested
/// structs: when no option is under their prefix). Errors are ``ConfigurationError``s.
public struct ConfigDecoder: Sendable {
    /// How property names become option names.
    public enum KeyStrategy: Sendable {
        /// The coding key's name as written.
        case useDefaultKeys
        /// `camelCase` names become `snake_case` (`maxConnections` → `max_connections`).
        case convertToSnakeCase
    }

    public var keyStrategy: KeyStrategy

    public init(keyStrategy: KeyStrategy = .convertToSnakeCase) {
        self.keyStrategy = keyStrategy
    }

    /// Decodes `type` from the options of `raw` under `keyPath` (`""`: the whole section).
    /// - Throws: ``ConfigurationError``.
    public func decode<T: Decodable>(_ type: T.Type, from raw: [String: String], keyPath: String = "") throws -> T {
        try ConfigDecoding(raw: raw, keyPath: keyPath, codingPath: [], strategy: keyStrategy).value(T.self)
    }
}

extension ConfigParser where Value: Decodable & SendableMetatype {
    /// A parser that decodes a `Decodable` type from the options under its key, for use in a
    /// ``ConfigReader`` spec or in ``dictOf(_:)``.
    public static func decoding(_ type: Value.Type, keyStrategy: ConfigDecoder.KeyStrategy = .convertToSnakeCase) -> ConfigParser<Value> {
        ConfigParser(keyed: { key, raw in
            try ConfigDecoder(keyStrategy: keyStrategy).decode(Value.self, from: raw, keyPath: key)
        })
    }
}

/// The decoder at one key path.
struct ConfigDecoding: Decoder {
    let raw: [String: String]
    let keyPath: String
    let codingPath: [any CodingKey]
    let strategy: ConfigDecoder.KeyStrategy
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// The value at this key path: by its type's parser, else by its `init(from:)`.
    func value<T: Decodable>(_ type: T.Type) throws -> T {
        if let parsed = try parsedValue(type) { return parsed }
        do {
            return try T(from: self)
        } catch let error as DecodingError {
            throw ConfigurationError(key: keyPath, error: Self.describe(error))
        }
    }

    /// The value by its type's ``ConfigDecodable/configParser``, or nil for other types.
    func parsedValue<T>(_ type: T.Type) throws -> T? {
        guard let decodable = type as? any ConfigDecodable.Type else { return nil }
        func parse<C: ConfigDecodable>(_ c: C.Type) throws -> Any {
            try C.configParser.parse(key: keyPath, in: raw)
        }
        return try parse(decodable) as? T
    }

    /// Whether a value is present here, as `decodeIfPresent` sees it: non-empty text for a
    /// parser of one option, any option at or under the path otherwise.
    func isPresent<T>(_ type: T.Type) -> Bool {
        if let decodable = type as? any ConfigDecodable.Type {
            func readsOne<C: ConfigDecodable>(_ c: C.Type) -> Bool { C.configParser.readsOneOption }
            if readsOne(decodable) { return !(raw[keyPath] ?? "").isEmpty }
        }
        return ConfigKeys.hasAny(keyPath, in: raw)
    }

    func child(_ key: any CodingKey, name: String) -> ConfigDecoding {
        ConfigDecoding(raw: raw, keyPath: ConfigKeys.join(keyPath, name), codingPath: codingPath + [key], strategy: strategy)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(KeyedConfigContainer<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try TupleConfigContainer(decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleConfigValue(decoder: self)
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c):
            return c.debugDescription
        @unknown default:
            return String(describing: error)
        }
    }

    /// The option name of a coding key: as written when the configuration has it, else per
    /// the key strategy.
    func name(of key: any CodingKey) -> String {
        let written = key.stringValue
        guard strategy == .convertToSnakeCase, !ConfigKeys.hasAny(ConfigKeys.join(keyPath, written), in: raw) else {
            return written
        }
        return SnakeCase.convert(written)
    }
}
