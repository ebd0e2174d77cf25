#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// baseplate.py's parsers built from other parsers: TupleOf, Optional, Fallback, DefaultFromEnv.

extension ConfigParser {
    /// `config.TupleOf(p)`: comma-separated items, each stripped, empty items dropped, each
    /// parsed by `item` (`1, 2,3` is `[1, 2, 3]`). Empty text is `no values provided`; wrap in
    /// ``optional(_:default:)`` to allow an empty list.
    public static func tupleOf<Item>(_ item: ConfigParser<Item>) -> ConfigParser<[Item]> where Value == [Item] {
        let parseItem = item.textParser("tupleOf")
        return ConfigParser { text in
            guard !text.isEmpty else { throw ConfigValueError("no values provided") }
            return try PythonText.split(text, on: ",")
                .map { PythonText.strip($0) }
                .filter { !$0.isEmpty }
                .map(parseItem)
        }
    }

    /// `config.Optional(p)`: nil when the option is empty or missing, else `p`'s value.
    public static func optional<Wrapped>(_ parser: ConfigParser<Wrapped>) -> ConfigParser<Wrapped?> where Value == Wrapped? {
        let parse = parser.textParser("optional")
        return ConfigParser { text in text.isEmpty ? nil : try parse(text) }
    }

    /// `config.Optional(p, default=d)`: `d` when the option is empty or missing.
    public static func optional(_ parser: ConfigParser<Value>, default value: Value) -> ConfigParser<Value> where Value: Sendable {
        let parse = parser.textParser("optional")
        return ConfigParser { text in text.isEmpty ? value : try parse(text) }
    }

    /// `config.Fallback(p1, p2)`: `p1`'s value, or `p2`'s when `p1` rejects the text (the
    /// error is then `p2`'s).
    public static func fallback(_ primary: ConfigParser<Value>, _ secondary: ConfigParser<Value>) -> ConfigParser<Value> {
        let first = primary.textParser("fallback")
        let second = secondary.textParser("fallback")
        return ConfigParser { text in
            do { return try first(text) } catch { return try second(text) }
        }
    }

    /// `config.DefaultFromEnv(p, name, fallback)`: the option's value when it is set; else the
    /// environment variable `name` parsed by `p` (read once, now); else `fallback`; else the
    /// error `no value provided`.
    ///
    /// Differences from baseplate.py: an environment value `p` rejects is reported when the
    /// option is parsed, as `key: <error>` (baseplate.py raises while building the spec); and
    /// a parsed value that Python deems false (`0`, `false`, `0%`) is accepted, where
    /// baseplate.py reports `no value provided`.
    public static func defaultFromEnv(_ parser: ConfigParser<Value>, _ name: String, fallback: Value? = nil,
                                      environment: [String: String]? = nil) -> ConfigParser<Value> where Value: Sendable {
        let parse = parser.textParser("defaultFromEnv")
        let envText = (environment.map { $0[name] } ?? getenv(name).map { String(cString: $0) }) ?? ""
        let fromEnvironment: Result<Value?, ConfigValueError>
        if envText.isEmpty {
            fromEnvironment = .success(fallback)
        } else {
            do {
                fromEnvironment = .success(try parse(envText))
            } catch {
                fromEnvironment = .failure(ConfigValueError(errorMessage(error)))
            }
        }
        return ConfigParser { text in
            if !text.isEmpty { return try parse(text) }
            guard let value = try fromEnvironment.get() else { throw ConfigValueError("no value provided") }
            return value
        }
    }
}
