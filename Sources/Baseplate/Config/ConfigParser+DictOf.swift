// baseplate.py's parsers of a dotted prefix: a spec (a dict of parsers) and DictOf.

extension ConfigParser {
    /// A nested spec, like a dict inside a baseplate.py spec: `build` reads the options under
    /// the key through a ``ConfigReader`` scoped to it.
    ///
    /// ```swift
    /// struct Country { var population: Int; var capital: String }
    /// let country: ConfigParser<Country> = .spec { c in
    ///     Country(population: try c("population", .integer), capital: try c("capital", .string))
    /// }
    /// ```
    public static func spec(_ build: @escaping @Sendable (ConfigReader) throws -> Value) -> ConfigParser<Value> {
        ConfigParser(keyed: { key, raw in try build(ConfigReader(raw, keyPath: key)) })
    }

    /// `config.DictOf(p)`: every distinct first component `name` of a key `<key>.<name>...`
    /// maps to `p` parsed at `<key>.<name>` (at the root, every key's first component).
    /// With no such keys the result is empty.
    ///
    /// ```ini
    /// population.cn = 1390080000
    /// population.in = 1342512000
    /// ```
    /// `.dictOf(.integer)` at `population` is `["cn": 1390080000, "in": 1342512000]`.
    public static func dictOf<Element>(_ element: ConfigParser<Element>) -> ConfigParser<[String: Element]>
    where Value == [String: Element] {
        ConfigParser(keyed: { key, raw in
            var values: [String: Element] = [:]
            for name in ConfigKeys.children(of: key, in: raw) {
                values[name] = try element.parse(key: ConfigKeys.join(key, name), in: raw)
            }
            return values
        })
    }
}

enum ConfigKeys {
    /// `prefix.name`, or `name` at the root.
    static func join(_ prefix: String, _ name: String) -> String {
        prefix.isEmpty ? name : prefix + "." + name
    }

    /// The distinct non-empty first components after `prefix.` of the keys of `raw`, sorted
    /// (baseplate.py's `^prefix\.([^.]+)`).
    static func children(of prefix: String, in raw: [String: String]) -> [String] {
        let root = prefix.isEmpty ? "" : prefix + "."
        var names = Set<String>()
        for key in raw.keys where key.unicodeScalars.starts(with: root.unicodeScalars) {
            let rest = key.unicodeScalars.dropFirst(root.unicodeScalars.count)
            let name = rest.prefix { $0 != "." }
            if !name.isEmpty { names.insert(String(String.UnicodeScalarView(name))) }
        }
        return names.sorted()
    }

    /// Whether `raw` holds `key` itself or any key under `key.`.
    static func hasAny(_ key: String, in raw: [String: String]) -> Bool {
        if key.isEmpty { return !raw.isEmpty }
        if raw[key] != nil { return true }
        let root = key + "."
        return raw.keys.contains { $0.unicodeScalars.starts(with: root.unicodeScalars) }
    }
}
