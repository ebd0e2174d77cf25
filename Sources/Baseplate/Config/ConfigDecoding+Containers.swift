// The containers of `ConfigDecoding`: options under a prefix (keyed), a comma-separated list
// (unkeyed), one option's text (single value); and the snake-case key strategy.

struct KeyedConfigContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: ConfigDecoding
    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] {
        ConfigKeys.children(of: decoder.keyPath, in: decoder.raw).compactMap { Key(stringValue: $0) }
    }

    func at(_ key: Key) -> ConfigDecoding { decoder.child(key, name: decoder.name(of: key)) }

    func contains(_ key: Key) -> Bool {
        let d = at(key)
        return ConfigKeys.hasAny(d.keyPath, in: d.raw)
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        let d = at(key)
        return (d.raw[d.keyPath] ?? "").isEmpty && ConfigKeys.children(of: d.keyPath, in: d.raw).isEmpty
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try at(key).value(type)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        let d = at(key)
        return d.isPresent(type) ? try d.value(type) : nil
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try at(key).value(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try at(key).value(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try at(key).value(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try at(key).value(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try at(key).value(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try at(key).value(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try at(key).value(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try at(key).value(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try at(key).value(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try at(key).value(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try at(key).value(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try at(key).value(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try at(key).value(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try at(key).value(type) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try at(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try at(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder { at(key) }
}

/// A comma-separated list at one key path (`config.TupleOf`); each item is decoded as if it
/// were the only option at that path.
struct TupleConfigContainer: UnkeyedDecodingContainer {
    let decoder: ConfigDecoding
    let items: [String]
    var currentIndex = 0
    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    init(decoder: ConfigDecoding) throws {
        self.decoder = decoder
        let text = decoder.raw[decoder.keyPath] ?? ""
        guard !text.isEmpty else { throw ConfigurationError(key: decoder.keyPath, error: "no values provided") }
        items = PythonText.split(text, on: ",").map { PythonText.strip($0) }.filter { !$0.isEmpty }
    }

    mutating func next() throws -> ConfigDecoding {
        guard !isAtEnd else {
            throw ConfigurationError(key: decoder.keyPath, error: "expected more than \(items.count) values")
        }
        defer { currentIndex += 1 }
        return ConfigDecoding(raw: [decoder.keyPath: items[currentIndex]], keyPath: decoder.keyPath,
                              codingPath: decoder.codingPath, strategy: decoder.strategy)
    }

    mutating func decodeNil() throws -> Bool { false }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().value(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw ConfigurationError(key: decoder.keyPath, error: "a list cannot hold lists")
    }

    mutating func superDecoder() throws -> any Decoder { try next() }
}

/// The text of the option at one key path.
struct SingleConfigValue: SingleValueDecodingContainer {
    let decoder: ConfigDecoding
    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { (decoder.raw[decoder.keyPath] ?? "").isEmpty }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let parsed = try decoder.parsedValue(type) { return parsed }
        return try T(from: decoder)
    }

    func decode(_ type: String.Type) throws -> String {
        // The raw text, unlike config.String: a custom type's init(from:) reads what is there.
        decoder.raw[decoder.keyPath] ?? ""
    }
}

enum SnakeCase {
    /// `camelCase` to `snake_case`, keeping acronyms together (`myURLPath` → `my_url_path`).
    static func convert(_ name: String) -> String {
        let chars = Array(name)
        var out = ""
        for (i, c) in chars.enumerated() {
            if c.isUppercase, i > 0 {
                let previous = chars[i - 1]
                let nextIsLower = i + 1 < chars.count && chars[i + 1].isLowercase
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) {
                    out.append("_")
                }
            }
            out += c.lowercased()
        }
        return out
    }
}
