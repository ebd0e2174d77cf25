import Glibc
import Testing
@testable import Baseplate

/// From INI text to a typed configuration, as an application factory sees it: the shape of
/// baseplate.py's documentation examples (`parse_config` over `dict(parser.items("app:main"))`).
struct ConfigPipelineTests {
    @Test func documentationExample() throws {
        let file = "/tmp/bp-config-pipeline-\(getpid()).txt"
        defer { unlink(file) }
        try writeConfigTestFile(file, Array("cool".utf8))
        let ini = try INIFile(text: """
            [DEFAULT]
            interval = 45 seconds

            [app:main]
            factory = example:make_app
            simple = True
            cards = hearts, clubs
            nested.once = 7
            nested.really.deep = 2 minutes
            some_file = $DATA_FILE
            sample_rate = 12.5%
            default_from_env =
            """, path: "example.ini")
        let raw = try #require(ini.section("app:main", environment: ["DATA_FILE": file]))

        struct Config {
            var simple: Bool
            var cards: [Int]
            var once: Int
            var deep: Duration
            var someFile: ConfigFile
            var optional: Int
            var sampleRate: Double
            var interval: Duration
            var fromEnv: String
        }
        let cards: ConfigParser<Int> = .oneOf(["clubs": 1, "spades": 2, "diamonds": 3, "hearts": 4])
        let env = ["BASEPLATE_DEFAULT_VALUE": "from the environment"]
        let config = try parseConfig(raw) { c in
            Config(simple: try c("simple", .boolean),
                   cards: try c("cards", .tupleOf(cards)),
                   once: try c("nested.once", .integer),
                   deep: try c.scope("nested").scope("really")("deep", .timespan),
                   someFile: try c("some_file", .file()),
                   optional: try c("optional", .optional(.integer, default: 9001)),
                   sampleRate: try c("sample_rate", .percent),
                   interval: try c("interval", .fallback(.timespan, ConfigParser<Int>.integer.map { .seconds($0) })),
                   fromEnv: try c("default_from_env", .defaultFromEnv(.string, "BASEPLATE_DEFAULT_VALUE", environment: env)))
        }
        #expect(config.simple)
        #expect(config.cards == [4, 1])
        #expect(config.once == 7)
        #expect(config.deep == .seconds(120))
        #expect(config.someFile.read() == "cool")
        #expect(config.optional == 9001)
        #expect(config.sampleRate == 0.125)
        #expect(config.interval == .seconds(45))
        #expect(config.fromEnv == "from the environment")
    }

    @Test func dictOfExamples() throws {
        let ini = try INIFile(text: """
            [app:main]
            population.nz = 5000000
            population.is = 380000
            capitals.nz.name = Wellington
            capitals.nz.population = 215000
            capitals.is.name = Reykjavík
            capitals.is.population = 140000
            """)
        let raw = try #require(ini.section("app:main", environment: [:]))
        #expect(try parseConfig(raw) { c in try c("population", .dictOf(.integer)) } == ["nz": 5000000, "is": 380000])

        struct City: Decodable, Equatable { var name: String; var population: Int }
        struct App: Decodable { var population: [String: Int]; var capitals: [String: City] }
        let app = try ConfigDecoder().decode(App.self, from: raw)
        #expect(app.population.count == 2)
        #expect(app.capitals["is"] == City(name: "Reykjavík", population: 140000))
    }

    @Test func thriftServiceConfig() throws {
        // A typical baseplate.py Thrift service INI, unchanged.
        let ini = try INIFile(text: """
            [app:main]
            factory = my_service:make_processor
            metrics.namespace = my_service
            metrics.endpoint = 127.0.0.1:8125
            tracing.service_name = my_service
            tracing.sample_rate = 0.1%
            timeout = 250 milliseconds

            [server:main]
            factory = baseplate.server.thrift
            stop_timeout = 30 seconds
            """, path: "service.ini")
        struct App: Decodable {
            struct Metrics: Decodable { var namespace: String; var endpoint: Endpoint? }
            struct Tracing: Decodable { var serviceName: String; @Parsed<ConfigKind.Percent> var sampleRate: Double }
            var factory: String
            var metrics: Metrics
            var tracing: Tracing
            var timeout: Duration
        }
        let app = try ConfigDecoder().decode(App.self, from: try ini.requireSection("app:main", environment: [:]))
        #expect(app.metrics.endpoint == .inet(host: "127.0.0.1", port: 8125))
        #expect(app.tracing.serviceName == "my_service")
        #expect(app.tracing.sampleRate == 0.001)
        #expect(app.timeout == .milliseconds(250))
        let server = try ConfigReader(ini.requireSection("server:main", environment: [:]))
        #expect(try server("stop_timeout", .timespanWithLegacyFallback) == .seconds(30))
    }
}
