// baseplate.py's parsers of plain values: String, Integer, Float, Boolean, Percent, OneOf.

extension ConfigParser where Value == String {
    /// `config.String`: any non-empty text (`no value specified` otherwise).
    public static var string: ConfigParser<String> {
        ConfigParser { text in
            guard !text.isEmpty else { throw ConfigValueError("no value specified") }
            return text
        }
    }
}

extension ConfigParser where Value == Int {
    /// `config.Integer`: Python's `int(text)`: surrounding whitespace, a sign and `_` between
    /// digits are accepted; `1.2` is not (`invalid literal for int() with base 10: '1.2'`).
    public static var integer: ConfigParser<Int> { integer(base: 10) }

    /// `config.Integer(base=N)`: `int(text, N)`, e.g. base 8 reads `0600` as 384. Base 0 reads
    /// Python literal prefixes (`0x`, `0o`, `0b`).
    /// - Precondition: `base` is 0 or in 2...36.
    public static func integer(base: Int) -> ConfigParser<Int> {
        precondition(base == 0 || (2...36).contains(base), "int() base must be >= 2 and <= 36, or 0")
        return ConfigParser { text in try PythonText.parseInt(text, base: base).get() }
    }
}

extension ConfigParser where Value: FixedWidthInteger & Sendable {
    /// `config.Integer` into a fixed-width integer type; a value the type cannot hold is an
    /// error (`value out of range for UInt16`).
    public static func integer(as type: Value.Type, base: Int = 10) -> ConfigParser<Value> {
        ConfigParser<Int>.integer(base: base).map { n in
            guard let v = Value(exactly: n) else { throw ConfigValueError("value out of range for \(Value.self)") }
            return v
        }
    }
}

extension ConfigParser where Value == Double {
    /// `config.Float`: Python's `float(text)` (`1.2`, `.5`, `1e3`, `inf`, `nan`, `1_000.5`).
    public static var float: ConfigParser<Double> {
        ConfigParser { text in try PythonText.parseFloat(text).get() }
    }

    /// `config.Percent`: `"<float>%"` between 0% and 100%, as a fraction (`37.2%` is 0.372).
    /// Errors: `the value is not a percentage`, `percentage is out of valid range`.
    public static var percent: ConfigParser<Double> {
        ConfigParser { text in
            guard text.hasSuffix("%") else { throw ConfigValueError("the value is not a percentage") }
            let number = String(text.unicodeScalars.dropLast())
            let fraction = try PythonText.parseFloat(number).get() / 100
            guard fraction >= 0 && fraction <= 1 else {
                throw ConfigValueError("percentage is out of valid range")
            }
            return fraction
        }
    }
}

extension ConfigParser where Value == Bool {
    /// `config.Boolean`: `true` or `false`, any case
    /// (`expected one of dict_keys(['true', 'false'])` otherwise).
    public static var boolean: ConfigParser<Bool> {
        let choices = ConfigParser.oneOf(["true": true, "false": false])
        return ConfigParser { text in try choices.parse(text.lowercased()) }
    }
}

extension ConfigParser where Value: Sendable {
    /// `config.OneOf(name=value, ...)`: the text must be one of the names exactly; the result is
    /// its value. The error lists the names as Python prints them:
    /// `expected one of dict_keys(['clubs', 'spades'])`.
    ///
    /// ```swift
    /// let cards: ConfigParser<Int> = .oneOf(["clubs": 1, "spades": 2])
    /// ```
    public static func oneOf(_ options: KeyValuePairs<String, Value>) -> ConfigParser<Value> {
        oneOf(options.map { ($0.key, $0.value) })
    }

    /// `config.OneOf` from a list of (name, value) pairs, in the order the error lists them.
    public static func oneOf(_ options: [(String, Value)]) -> ConfigParser<Value> {
        var table: [String: Value] = [:]
        for (name, value) in options where table[name] == nil { table[name] = value }
        let names = options.map { PythonText.repr($0.0) }.joined(separator: ", ")
        let lookup = table
        return ConfigParser { text in
            guard let value = lookup[text] else { throw ConfigValueError("expected one of dict_keys([\(names)])") }
            return value
        }
    }
}

extension ConfigParser where Value: RawRepresentable & CaseIterable & Sendable, Value.RawValue == String {
    /// `config.OneOf` over a string enum: the text is a case's raw value.
    ///
    /// ```swift
    /// enum Suit: String, CaseIterable { case clubs, spades }
    /// let suit: ConfigParser<Suit> = .oneOf(Suit.self)
    /// ```
    public static func oneOf(_ type: Value.Type) -> ConfigParser<Value> {
        oneOf(Value.allCases.map { ($0.rawValue, $0) })
    }
}
