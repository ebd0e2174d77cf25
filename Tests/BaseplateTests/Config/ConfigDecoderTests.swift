import Testing
@testable import Baseplate

/// `parse_config` behaviour (baseplate.py's `TestParseConfig`) through both Swift forms: a
/// `ConfigReader` spec and a `Decodable` struct.
struct ConfigDecoderTests {
    static let raw = [
        "simple": "oink",
        "foo.bar": "33",
        "foo.baz": "a cool guy",
        "noo.bar": "",
        "deep.so.deep": "very",
    ]

    // MARK: ConfigReader specs

    @Test func simpleConfigWithReader() throws {
        struct Result { var simple: String; var fooBar: Int; var nooBar: String; var deep: String }
        let result = try parseConfig(Self.raw) { c in
            Result(simple: try c("simple", .string),
                   fooBar: try c.scope("foo")("bar", .integer),
                   nooBar: try c.scope("noo")("bar", .optional(.string, default: "")),
                   deep: try c.scope("deep").scope("so")("deep", .string))
        }
        #expect(result.simple == "oink")
        #expect(result.fooBar == 33)
        #expect(result.nooBar == "")
        #expect(result.deep == "very")
    }

    @Test func missingKeyAndBadValue() throws {
        let missing = try #require(throws: ConfigurationError.self) {
            try parseConfig(Self.raw) { c in try c.scope("foo")("not_here", .integer) }
        }
        #expect(missing.key == "foo.not_here")
        #expect(missing.description == "foo.not_here: invalid literal for int() with base 10: ''")

        let bad = try #require(throws: ConfigurationError.self) {
            try parseConfig(Self.raw) { c in try c("foo.baz", .integer) }
        }
        #expect(bad.description == "foo.baz: invalid literal for int() with base 10: 'a cool guy'")
    }

    @Test func subparsers() throws {
        let result = try parseConfig(Self.raw) { c in try c("foo", .dictOf(.string)) }
        #expect(result == ["bar": "33", "baz": "a cool guy"])
    }

    @Test func readerHelpers() {
        let c = ConfigReader(Self.raw).scope("foo")
        #expect(c.keyPath == "foo")
        #expect(c.path("bar") == "foo.bar")
        #expect(c["bar"] == "33")
        #expect(c.contains("baz"))
        #expect(!c.contains("nope"))
        #expect(ConfigReader(Self.raw).contains("deep.so"))
    }

    // MARK: Decodable

    struct Simple: Decodable {
        struct Foo: Decodable { var bar: Int }
        struct Noo: Decodable { var bar: String? }
        struct Deep: Decodable { struct So: Decodable { var deep: String }; var so: So }
        var simple: String
        var foo: Foo
        var noo: Noo
        var deep: Deep
    }

    @Test func simpleConfigDecoded() throws {
        let result = try ConfigDecoder().decode(Simple.self, from: Self.raw)
        #expect(result.simple == "oink")
        #expect(result.foo.bar == 33)
        #expect(result.noo.bar == nil)
        #expect(result.deep.so.deep == "very")
        #expect(try parseConfig(Self.raw, as: Simple.self).foo.bar == 33)
    }

    @Test func decodedErrorsNameTheDottedKey() throws {
        struct NotHere: Decodable { struct Foo: Decodable { var notHere: Int }; var foo: Foo }
        let missing = try #require(throws: ConfigurationError.self) { try ConfigDecoder().decode(NotHere.self, from: Self.raw) }
        #expect(missing.description == "foo.not_here: invalid literal for int() with base 10: ''")

        struct Baz: Decodable { struct Foo: Decodable { var baz: Int }; var foo: Foo }
        let bad = try #require(throws: ConfigurationError.self) { try ConfigDecoder().decode(Baz.self, from: Self.raw) }
        #expect(bad.description == "foo.baz: invalid literal for int() with base 10: 'a cool guy'")
    }

    enum Suit: String, CaseIterable, ConfigDecodable { case clubs, spades, diamonds, hearts }

    enum FileMode: ConfigParserKind {
        static var parser: ConfigParser<Int> { .integer(base: 8) }
    }

    /// Every kind of field, in the shape of baseplate.py's documentation example.
    struct App: Decodable {
        struct Metrics: Decodable {
            var namespace: String
            @Parsed<ConfigKind.Percent> var sampleRate: Double
        }
        var simple: Bool
        var cards: [Suit]
        var metrics: Metrics
        var timeout: Duration
        var stopTimeout: TimespanOrInfinite
        @Parsed<ConfigKind.TimespanWithLegacyFallback> var legacy: Duration
        var backend: Endpoint
        var retries: Int?
        var port: UInt16
        var ratio: Double
        var weights: [String: Int]
        var tags: [String]?
        @Parsed<ConfigKind.Base64> var secret: [UInt8]
        @Parsed<ConfigKind.UnixUser> var user: UInt32
        @Parsed<FileMode> var umask: Int
        var missingMetrics: Metrics?
    }

    static let appRaw = [
        "simple": "true",
        "cards": "clubs, spades, diamonds",
        "metrics.namespace": "my.service",
        "metrics.sample_rate": "37.1%",
        "timeout": "3 seconds",
        "stop_timeout": "infinite",
        "legacy": "92",
        "backend": "[::1]:9090",
        "port": "8080",
        "ratio": "0.5",
        "weights.a": "1",
        "weights.b": "2",
        "secret": "aHVudGVyMg==",
        "user": "root",
        "umask": "0022",
    ]

    @Test func everyKindOfField() throws {
        let app = try ConfigDecoder().decode(App.self, from: Self.appRaw)
        #expect(app.simple)
        #expect(app.cards == [.clubs, .spades, .diamonds])
        #expect(app.metrics.namespace == "my.service")
        #expect(abs(app.metrics.sampleRate - 0.371) < 1e-12)
        #expect(app.timeout == .seconds(3))
        #expect(app.stopTimeout == .infinite)
        #expect(app.legacy == .seconds(92))
        #expect(app.backend == .inet(host: "::1", port: 9090))
        #expect(app.retries == nil)
        #expect(app.port == 8080)
        #expect(app.ratio == 0.5)
        #expect(app.weights == ["a": 1, "b": 2])
        #expect(app.tags == nil)
        #expect(app.secret == Array("hunter2".utf8))
        #expect(app.user == 0)
        #expect(app.umask == 0o22)
        #expect(app.missingMetrics == nil)
    }

    @Test func decodedFieldErrors() throws {
        func failure(_ change: [String: String]) throws -> String {
            let raw = Self.appRaw.merging(change) { _, new in new }
            return try #require(throws: ConfigurationError.self) { try ConfigDecoder().decode(App.self, from: raw) }.description
        }
        #expect(try failure(["cards": "clubs, jokers"]) == "cards: expected one of dict_keys(['clubs', 'spades', 'diamonds', 'hearts'])")
        #expect(try failure(["cards": ""]) == "cards: no values provided")
        #expect(try failure(["metrics.sample_rate": "37"]) == "metrics.sample_rate: the value is not a percentage")
        #expect(try failure(["timeout": "3.5 seconds"]) == "timeout: invalid literal for int() with base 10: '3.5'")
        #expect(try failure(["port": "99999"]) == "port: value out of range for UInt16")
        #expect(try failure(["weights.c": "x"]) == "weights.c: invalid literal for int() with base 10: 'x'")
        #expect(try failure(["retries": "many"]) == "retries: invalid literal for int() with base 10: 'many'")
        #expect(try failure(["backend": ""]) == "backend: no endpoint specified")
        #expect(try failure(["simple": "yes"]) == "simple: expected one of dict_keys(['true', 'false'])")
        #expect(try failure(["missing_metrics.namespace": "x"]) == "missing_metrics.sample_rate: the value is not a percentage")
    }

    @Test func keyStrategies() throws {
        struct Keys: Decodable {
            var maxConnections: Int
            var myURLPath: String
            enum CodingKeys: String, CodingKey { case maxConnections, myURLPath = "url" }
        }
        let raw = ["max_connections": "10", "url": "/x"]
        let keys = try ConfigDecoder().decode(Keys.self, from: raw)
        #expect(keys.maxConnections == 10)
        #expect(keys.myURLPath == "/x")
        #expect(throws: ConfigurationError.self) {
            try ConfigDecoder(keyStrategy: .useDefaultKeys).decode(Keys.self, from: raw)
        }
        #expect(try ConfigDecoder(keyStrategy: .useDefaultKeys).decode(Keys.self, from: ["maxConnections": "3", "url": "u"]).maxConnections == 3)
        #expect(SnakeCase.convert("myURLPath") == "my_url_path")
        #expect(SnakeCase.convert("sampleRate") == "sample_rate")
        #expect(SnakeCase.convert("already_snake") == "already_snake")
    }

    @Test func dictionaryOfStructsAndDecodingParser() throws {
        struct Country: Decodable, Equatable { var population: Int; var capital: String }
        let raw = [
            "countries.cn.population": "1390080000", "countries.cn.capital": "Beijing",
            "countries.id.population": "263447000", "countries.id.capital": "Jakarta",
        ]
        struct World: Decodable { var countries: [String: Country] }
        let world = try ConfigDecoder().decode(World.self, from: raw)
        #expect(world.countries["cn"]?.capital == "Beijing")
        #expect(world.countries["id"]?.population == 263447000)

        let viaReader = try parseConfig(raw) { c in try c("countries", .dictOf(.decoding(Country.self))) }
        #expect(viaReader == world.countries)
        #expect(try ConfigReader(raw)("countries", as: [String: Country].self) == world.countries)
    }

    @Test func readerDecodesByType() throws {
        let c = ConfigReader(Self.appRaw)
        #expect(try c("timeout", as: Duration.self) == .seconds(3))
        #expect(try c("backend", as: Endpoint.self) == .inet(host: "::1", port: 9090))
        #expect(try c("nope", as: Int?.self) == nil)
    }

    @Test func configDecodableTypesWorkWithOtherDecoders() throws {
        // The Decodable conformance parses the string form, for any decoder.
        struct Holder: Decodable { var e: Endpoint }
        let decoded = try ConfigDecoder().decode(Holder.self, from: ["e": "/tmp/x.sock"])
        #expect(decoded.e == .unix(path: "/tmp/x.sock"))
    }
}
