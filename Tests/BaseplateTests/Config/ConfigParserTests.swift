import Glibc
import Testing
@testable import Baseplate

/// baseplate.py's `tests/unit/lib/config_tests.py`, as behaviour: the same inputs, the values
/// it expects, and the error texts baseplate.py gives for them.
struct ConfigParserTests {
    /// The error text a parser gives for `text`, or nil when it accepts it.
    func error<V>(_ parser: ConfigParser<V>, _ text: String) -> String? {
        do {
            _ = try parser.parse(text)
            return nil
        } catch {
            return "\(error)"
        }
    }

    // MARK: String

    @Test func string() throws {
        #expect(try ConfigParser.string.parse("whatever") == "whatever")
        #expect(error(.string, "") == "no value specified")
    }

    // MARK: Integer

    @Test func integer() throws {
        #expect(try ConfigParser.integer.parse("337") == 337)
        #expect(error(.integer, "") == "invalid literal for int() with base 10: ''")
        #expect(error(.integer, "illegal") == "invalid literal for int() with base 10: 'illegal'")
        #expect(error(.integer, "1.2") == "invalid literal for int() with base 10: '1.2'")
        #expect(try ConfigParser.integer(base: 8).parse("0600") == 384)
        // Python's int(): whitespace, sign and underscores between digits.
        #expect(try ConfigParser.integer.parse(" +1_000 ") == 1000)
        #expect(try ConfigParser.integer.parse("-42") == -42)
        #expect(error(.integer, "1__0") == "invalid literal for int() with base 10: '1__0'")
        #expect(try ConfigParser.integer(base: 0).parse("0x_ff") == 255)
        #expect(error(.integer(base: 0), "0600") == "invalid literal for int() with base 0: '0600'")
        #expect(try ConfigParser.integer(as: UInt16.self).parse("8080") == 8080)
        #expect(error(.integer(as: UInt16.self), "70000") == "value out of range for UInt16")
    }

    // MARK: Float

    @Test func float() throws {
        #expect(try ConfigParser.float.parse("1.2") == 1.2)
        #expect(try ConfigParser.float.parse(".44") == 0.44)
        #expect(try ConfigParser.float.parse("1e3") == 1000)
        #expect(try ConfigParser.float.parse("-inf") == -.infinity)
        #expect(error(.float, "") == "could not convert string to float: ''")
        #expect(error(.float, "sdklfj") == "could not convert string to float: 'sdklfj'")
        #expect(error(.float, "0x10") == "could not convert string to float: '0x10'")
    }

    // MARK: Boolean

    @Test func boolean() throws {
        #expect(try ConfigParser.boolean.parse("true") == true)
        #expect(try ConfigParser.boolean.parse("True") == true)
        #expect(try ConfigParser.boolean.parse("false") == false)
        #expect(try ConfigParser.boolean.parse("False") == false)
        #expect(error(.boolean, "") == "expected one of dict_keys(['true', 'false'])")
        #expect(error(.boolean, "wrong") == "expected one of dict_keys(['true', 'false'])")
    }

    // MARK: Endpoint

    @Test func endpoint() throws {
        #expect(error(.endpoint, "") == "no endpoint specified")
        #expect(try ConfigParser.endpoint.parse("localhost:1234") == .inet(host: "localhost", port: 1234))
        #expect(error(.endpoint, "localhost") == "no port specified")
        #expect(try ConfigParser.endpoint.parse("/this/is/a/path.sock") == .unix(path: "/this/is/a/path.sock"))
        #expect(error(.endpoint, "localhost:http") == "invalid literal for int() with base 10: 'http'")
        #expect(try ConfigParser.endpoint.parse("localhost:1234").description == "localhost:1234")
    }

    @Test func endpointIPv6Extension() throws {
        #expect(try ConfigParser.endpoint.parse("[::1]:9090") == .inet(host: "::1", port: 9090))
        #expect(try ConfigParser.endpoint.parse("[::1]:9090").description == "[::1]:9090")
        #expect(error(.endpoint, "[::1]") == "no port specified")
        #expect(try Endpoint(parsing: "127.0.0.1:0") == .inet(host: "127.0.0.1", port: 0))
    }

    // MARK: Base64

    @Test func base64() throws {
        #expect(error(.base64, "") == "expected base64 encoded data")
        #expect(error(.base64, "dGvzdAo") == "Incorrect padding")
        #expect(try ConfigParser.base64.parse("aHVudGVyMg==") == Array("hunter2".utf8))
        // binascii's leniency: characters outside the alphabet are skipped.
        #expect(try ConfigParser.base64.parse("aHVu\ndGVy\nMg==") == Array("hunter2".utf8))
        #expect(error(.base64, "a") == "Invalid base64-encoded string: number of data characters (1) cannot be 1 more than a multiple of 4")
    }

    // MARK: File

    @Test func file() throws {
        let path = "/tmp/bp-config-file-\(getpid())"
        defer { unlink(path) }
        try writeConfigTestFile(path, Array("test".utf8))
        #expect(error(.file(), "/tmp/does_not_exist") == "could not open file: /tmp/does_not_exist")
        let readable = try ConfigParser.file().parse(path)
        #expect(readable.read() == "test")
        readable.close()
        let writable = try ConfigParser.file(mode: "w").parse(path)
        writable.write("cool")
        writable.close()
        #expect(try ConfigParser.file().parse(path).read() == "cool")
        #expect(error(.file(mode: "q"), path) == "invalid mode: 'q'")
    }

    // MARK: Timespan

    @Test func timespan() throws {
        #expect(error(.timespan, "") == "invalid specification")
        #expect(error(.timespan, "a b") == "invalid literal for int() with base 10: 'a'")
        #expect(error(.timespan, "10 florgles") == "unknown unit")
        #expect(error(.timespan, "a b c") == "invalid specification")
        #expect(error(.timespan, "3.2 hours") == "invalid literal for int() with base 10: '3.2'")
        #expect(try ConfigParser.timespan.parse("30 milliseconds") == .milliseconds(30))
        #expect(try ConfigParser.timespan.parse("1 second") == .seconds(1))
        #expect(try ConfigParser.timespan.parse("2 seconds") == .seconds(2))
        #expect(try ConfigParser.timespan.parse("30 minutes") == .seconds(1800))
        #expect(try ConfigParser.timespan.parse("2 hours") == .seconds(7200))
        #expect(try ConfigParser.timespan.parse("1 day") == .seconds(86400))
        // Quirks kept: rstrip("s") and any whitespace between the words.
        #expect(try ConfigParser.timespan.parse("1 secondsss") == .seconds(1))
        #expect(try ConfigParser.timespan.parse(" 7\tminutes\n") == .seconds(420))
        #expect(error(.timespan, "1 Second") == "unknown unit")
    }

    @Test func timespanAbbreviationsExtension() throws {
        #expect(try ConfigParser.timespan.parse("250 ms") == .milliseconds(250))
        #expect(try ConfigParser.timespan.parse("5 s") == .seconds(5))
        #expect(try ConfigParser.timespan.parse("2 min") == .seconds(120))
        #expect(try ConfigParser.timespan.parse("3 h") == .seconds(10800))
        #expect(try ConfigParser.timespan.parse("1 d") == .seconds(86400))
        #expect(error(.timespan, "1 m") == "unknown unit")
    }

    @Test func timespanWithLegacyFallback() throws {
        #expect(try ConfigParser.timespanWithLegacyFallback.parse("30 minutes") == .seconds(1800))
        #expect(try ConfigParser.timespanWithLegacyFallback.parse("92") == .seconds(92))
        #expect(try ConfigParser.timespanWithLegacyFallback.parse("0.5") == .milliseconds(500))
        #expect(error(.timespanWithLegacyFallback, "soon") == "could not convert string to float: 'soon'")
    }

    @Test func timespanOrInfinite() throws {
        #expect(try ConfigParser.timespanOrInfinite.parse("infinite") == .infinite)
        #expect(try ConfigParser.timespanOrInfinite.parse("3 seconds") == .finite(.seconds(3)))
        #expect(error(.timespanOrInfinite, "forever") == "invalid specification")
    }

    // MARK: Percent

    @Test func percent() throws {
        #expect(abs(try ConfigParser.percent.parse("37.2%") - 0.372) < 1e-12)
        #expect(try ConfigParser.percent.parse("100%") == 1.0)
        #expect(error(.percent, "9") == "the value is not a percentage")
        #expect(error(.percent, "-10%") == "percentage is out of valid range")
        #expect(error(.percent, "120%") == "percentage is out of valid range")
        #expect(error(.percent, "30%%%%") == "could not convert string to float: '30%%%'")
    }

    // MARK: UnixUser / UnixGroup

    @Test func unixUserAndGroup() throws {
        #expect(try ConfigParser.unixUser.parse("root") == 0)
        #expect(try ConfigParser.unixUser.parse("1234") == 1234)
        #expect(error(.unixUser, "fhqwhgads") == "\"getpwnam(): name not found: 'fhqwhgads'\"")
        #expect(try ConfigParser.unixGroup.parse("root") == 0)
        #expect(error(.unixGroup, "fhqwhgads") == "\"getgrnam(): name not found: 'fhqwhgads'\"")
    }

    // MARK: OneOf

    @Test func oneOf() throws {
        let parser: ConfigParser<Int> = .oneOf(["ONE": 1, "TWO": 2, "THREE": 3])
        #expect(try parser.parse("ONE") == 1)
        #expect(try parser.parse("TWO") == 2)
        #expect(try parser.parse("THREE") == 3)
        #expect(error(parser, "") == "expected one of dict_keys(['ONE', 'TWO', 'THREE'])")
        #expect(error(parser, "FOUR") == "expected one of dict_keys(['ONE', 'TWO', 'THREE'])")

        enum Suit: String, CaseIterable, Sendable { case clubs, spades }
        #expect(try ConfigParser.oneOf(Suit.self).parse("spades") == .spades)
        #expect(error(.oneOf(Suit.self), "hearts") == "expected one of dict_keys(['clubs', 'spades'])")
    }

    // MARK: TupleOf

    @Test func tupleOf() throws {
        let parser: ConfigParser<[Int]> = .tupleOf(.integer)
        #expect(try parser.parse("1,2,3") == [1, 2, 3])
        #expect(try parser.parse("4, 5, 6") == [4, 5, 6])
        #expect(try parser.parse(" , 7,, 8 ,") == [7, 8])
        #expect(error(parser, "") == "no values provided")
        #expect(error(parser, "a, b") == "invalid literal for int() with base 10: 'a'")
    }

    // MARK: Optional

    @Test func optional() throws {
        let parser: ConfigParser<Int?> = .optional(.integer)
        #expect(try parser.parse("33") == 33)
        #expect(try parser.parse("") == nil)
        #expect(error(parser, "asdf") == "invalid literal for int() with base 10: 'asdf'")
        #expect(try ConfigParser.optional(.integer, default: 9001).parse("") == 9001)
        #expect(try ConfigParser<[Int]>.optional(.tupleOf(.integer), default: []).parse("") == [])
    }

    // MARK: Fallback

    @Test func fallback() throws {
        let parser: ConfigParser<Double> = .fallback(.percent, .float)
        #expect(abs(try parser.parse("33%") - 0.33) < 1e-12)
        #expect(abs(try parser.parse(".44") - 0.44) < 1e-12)
        #expect(error(parser, "x") == "could not convert string to float: 'x'")
    }

    // MARK: DefaultFromEnv

    @Test func defaultFromEnv() throws {
        let env = ["BP_TEST_DEFAULT": "blah", "BP_TEST_BAD": "x"]
        let parser: ConfigParser<String> = .defaultFromEnv(.string, "BP_TEST_DEFAULT", environment: env)
        #expect(try parser.parse("given") == "given")
        #expect(try parser.parse("") == "blah")

        let unset: ConfigParser<Int> = .defaultFromEnv(.integer, "BP_TEST_UNSET", fallback: 3, environment: env)
        #expect(try unset.parse("") == 3)
        let nothing: ConfigParser<Int> = .defaultFromEnv(.integer, "BP_TEST_UNSET", environment: env)
        #expect(error(nothing, "") == "no value provided")
        let bad: ConfigParser<Int> = .defaultFromEnv(.integer, "BP_TEST_BAD", environment: env)
        #expect(error(bad, "") == "invalid literal for int() with base 10: 'x'")
        #expect(try bad.parse("5") == 5)
        // Deviation from baseplate.py: a value Python deems false is a value.
        #expect(try unset.parse("0") == 0)

        setenv("BP_TEST_PROCESS_ENV", "17", 1)
        defer { unsetenv("BP_TEST_PROCESS_ENV") }
        #expect(try ConfigParser<Int>.defaultFromEnv(.integer, "BP_TEST_PROCESS_ENV").parse("") == 17)
    }

    // MARK: DictOf

    @Test func dictOf() throws {
        let scalar: ConfigParser<[String: Int]> = .dictOf(.integer)
        #expect(try scalar.parse(key: "my_key", in: ["not_related": "a"]) == [:])
        #expect(try scalar.parse(key: "my_key", in: ["my_key.a": "1", "my_key.b": "2"]) == ["a": 1, "b": 2])

        struct AB: Equatable { var a: Int; var b: String }
        let vector: ConfigParser<[String: AB]> = .dictOf(.spec { c in AB(a: try c("a", .integer), b: try c("b", .string)) })
        let raw = [
            "my_key.first.a": "1", "my_key.first.b": "test", "my_key.first.c": "ignored",
            "my_key.second.a": "2", "my_key.second.b": "test",
        ]
        let expected = ["first": AB(a: 1, b: "test"), "second": AB(a: 2, b: "test")]
        #expect(try vector.parse(key: "my_key", in: raw) == expected)

        let root = Dictionary(uniqueKeysWithValues: raw.map { (String($0.key.dropFirst("my_key.".count)), $0.value) })
        #expect(try vector.parse(key: "", in: root) == expected)

        let broken = ["my_key.first.a": "x", "my_key.first.b": "test"]
        let error = try #require(throws: ConfigurationError.self) { try vector.parse(key: "my_key", in: broken) }
        #expect(error.description == "my_key.first.a: invalid literal for int() with base 10: 'x'")
    }
}

@Test func configEndpointAsListener() throws {
    #expect(ThriftServer.Configuration.Listener(try Endpoint(parsing: "localhost:9090")) == .tcp(host: "localhost", port: 9090))
    #expect(ThriftServer.Configuration.Listener(try Endpoint(parsing: "/run/x.sock")) == .unix(path: "/run/x.sock"))
}
