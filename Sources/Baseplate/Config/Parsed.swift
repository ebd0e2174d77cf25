
/// A named parser, usable as a type: what ``Parsed`` takes to pick a field's parser.
///
/// ```swift
/// enum FileMode: ConfigParserKind {
///     static var parser: ConfigParser<Int> { .integer(base: 8) }
/// }
/// enum SampleRate: ConfigParserKind {
///     static var parser: ConfigParser<Double> { .optional(.percent, default: 1) }
/// }
/// ```
public protocol ConfigParserKind: SendableMetatype {
    associatedtype Value
    static var parser: ConfigParser<Value> { get }
}

/// Gives a field of a ``ConfigDecoder``-decoded struct a parser other than its type's own:
///
/// ```swift
/// struct Metrics: Decodable {
///     var namespace: String                                 // config.String
///     @Parsed<ConfigKind.Percent> var sampleRate: Double    // config.Percent, not Float
///     @Parsed<FileMode> var umask: Int                       // your own ConfigParserKind
/// }
/// ```
@propertyWrapper
public struct Parsed<Kind: ConfigParserKind>: ConfigDecodable {
    public var wrappedValue: Kind.Value

    public init(wrappedValue: Kind.Value) {
        self.wrappedValue = wrappedValue
    }

    public static var configParser: ConfigParser<Parsed<Kind>> {
        Kind.parser.map { Parsed(wrappedValue: $0) }
    }
}

extension Parsed: Sendable where Kind.Value: Sendable {}
extension Parsed: Equatable where Kind.Value: Equatable {}

/// Kinds for ``Parsed`` naming baseplate.py's parsers whose value type would otherwise pick a
/// different parser (a `Double` field is `config.Float` unless marked `Percent`).
public enum ConfigKind {
    /// `config.Percent`, as a `Double` in 0...1.
    public enum Percent: ConfigParserKind {
        public static var parser: ConfigParser<Double> { .percent }
    }

    /// `config.TimespanWithLegacyFallback`, as a `Duration`.
    public enum TimespanWithLegacyFallback: ConfigParserKind {
        public static var parser: ConfigParser<Duration> { .timespanWithLegacyFallback }
    }

    /// `config.Base64`, as bytes.
    public enum Base64: ConfigParserKind {
        public static var parser: ConfigParser<[UInt8]> { .base64 }
    }

    /// `config.UnixUser`, as a user ID.
    public enum UnixUser: ConfigParserKind {
        public static var parser: ConfigParser<UInt32> { .unixUser }
    }

    /// `config.UnixGroup`, as a group ID.
    public enum UnixGroup: ConfigParserKind {
        public static var parser: ConfigParser<UInt32> { .unixGroup }
    }

    /// `config.File()` (read mode), as an open ``ConfigFile``.
    public enum File: ConfigParserKind {
        public static var parser: ConfigParser<ConfigFile> { .file() }
    }
}
