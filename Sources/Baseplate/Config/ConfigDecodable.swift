#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A type with a baseplate config parser of its own: what ``ConfigDecoder`` uses for a field
/// of that type, and what ``ConfigReader`` uses for `c("key", as: T.self)`.
///
/// | Swift type | parser |
/// |---|---|
/// | `String` | ``ConfigParser/string`` |
/// | `Int` (and the other integer types, range-checked) | ``ConfigParser/integer`` |
/// | `Double`, `Float` | ``ConfigParser/float`` |
/// | `Bool` | ``ConfigParser/boolean`` |
/// | `Duration` | ``ConfigParser/timespan`` |
/// | ``TimespanOrInfinite`` | ``ConfigParser/timespanOrInfinite`` |
/// | ``Endpoint`` | ``ConfigParser/endpoint`` |
/// | `T?` | ``ConfigParser/optional(_:)`` of T's parser |
/// | `[T]` | ``ConfigParser/tupleOf(_:)`` of T's parser |
/// | `[String: T]` | ``ConfigParser/dictOf(_:)`` of T's parser |
/// | a `String` enum that is `CaseIterable` | `.oneOf(T.self)`: its cases' raw values |
///
/// Conform your own types by providing ``configParser``:
/// ```swift
/// enum Suit: String, CaseIterable, ConfigDecodable { case clubs, spades }  // OneOf, for free
/// struct Port: ConfigDecodable {
///     var number: UInt16
///     static var configParser: ConfigParser<Port> { .integer(as: UInt16.self).map(Port.init) }
/// }
/// ```
/// (`Decodable` is required so the compiler synthesizes the containing struct's decoding; a
/// type with no other use for it gets ``init(from:)`` from this protocol.)
public protocol ConfigDecodable: Decodable, SendableMetatype {
    /// The parser for values of this type.
    static var configParser: ConfigParser<Self> { get }
}

extension ConfigDecodable {
    /// Decodes from any `Decoder` by parsing its single string value with ``configParser``
    /// (``ConfigDecoder`` calls ``configParser`` directly instead).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try Self.configParser.parse(text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: errorMessage(error))
        }
    }
}

extension ConfigDecodable where Self: RawRepresentable & CaseIterable & Sendable, RawValue == String {
    /// `config.OneOf` over the raw values of the cases.
    public static var configParser: ConfigParser<Self> { .oneOf(Self.self) }
}

extension String: ConfigDecodable { public static var configParser: ConfigParser<String> { .string } }
extension Bool: ConfigDecodable { public static var configParser: ConfigParser<Bool> { .boolean } }
extension Double: ConfigDecodable { public static var configParser: ConfigParser<Double> { .float } }
extension Float: ConfigDecodable {
    public static var configParser: ConfigParser<Float> { ConfigParser<Double>.float.map { Float($0) } }
}
extension Int: ConfigDecodable { public static var configParser: ConfigParser<Int> { .integer } }
extension Int8: ConfigDecodable { public static var configParser: ConfigParser<Int8> { .integer(as: Int8.self) } }
extension Int16: ConfigDecodable { public static var configParser: ConfigParser<Int16> { .integer(as: Int16.self) } }
extension Int32: ConfigDecodable { public static var configParser: ConfigParser<Int32> { .integer(as: Int32.self) } }
extension Int64: ConfigDecodable { public static var configParser: ConfigParser<Int64> { .integer(as: Int64.self) } }
extension UInt: ConfigDecodable { public static var configParser: ConfigParser<UInt> { .integer(as: UInt.self) } }
extension UInt8: ConfigDecodable { public static var configParser: ConfigParser<UInt8> { .integer(as: UInt8.self) } }
extension UInt16: ConfigDecodable { public static var configParser: ConfigParser<UInt16> { .integer(as: UInt16.self) } }
extension UInt32: ConfigDecodable { public static var configParser: ConfigParser<UInt32> { .integer(as: UInt32.self) } }
extension UInt64: ConfigDecodable { public static var configParser: ConfigParser<UInt64> { .integer(as: UInt64.self) } }
extension Duration: ConfigDecodable { public static var configParser: ConfigParser<Duration> { .timespan } }
extension Endpoint: ConfigDecodable { public static var configParser: ConfigParser<Endpoint> { .endpoint } }
extension TimespanOrInfinite: ConfigDecodable {
    public static var configParser: ConfigParser<TimespanOrInfinite> { .timespanOrInfinite }
}

extension Optional: ConfigDecodable where Wrapped: ConfigDecodable {
    /// ``ConfigParser/optional(_:)`` of the wrapped type's parser; for a parser of a prefix
    /// (a dictionary), nil when no option is under the prefix.
    public static var configParser: ConfigParser<Wrapped?> {
        let inner = Wrapped.configParser
        if inner.readsOneOption { return .optional(inner) }
        return ConfigParser(keyed: { key, raw in
            ConfigKeys.hasAny(key, in: raw) ? try inner.parse(key: key, in: raw) : nil
        })
    }
}

extension Array: ConfigDecodable where Element: ConfigDecodable {
    /// ``ConfigParser/tupleOf(_:)`` of the element type's parser.
    public static var configParser: ConfigParser<[Element]> { .tupleOf(Element.configParser) }
}

extension Dictionary: ConfigDecodable where Key == String, Value: ConfigDecodable {
    /// ``ConfigParser/dictOf(_:)`` of the value type's parser.
    public static var configParser: ConfigParser<[String: Value]> { .dictOf(Value.configParser) }
}
