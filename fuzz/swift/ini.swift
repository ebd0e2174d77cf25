// Fuzz target: the INI reader (configparser rules) and the config value parsers. Any text must
// parse or give an INIFile.ParseError; every value of a parsed file goes through each scalar
// parser, which must return a value or throw, never crash.
import Baseplate

let environment = ["HOME": "/home/fuzz", "EMPTY": "", "X": "$X"]

let parsers: [(String) -> Void] = [
    probe(.string), probe(.integer), probe(.integer(base: 16)), probe(.integer(base: 0)),
    probe(.integer(as: Int8.self)), probe(.integer(as: UInt16.self)), probe(.float), probe(.percent),
    probe(.boolean), probe(.timespan), probe(.timespanWithLegacyFallback), probe(.timespanOrInfinite),
    probe(.endpoint), probe(.base64), probe(.tupleOf(.integer)), probe(.tupleOf(.timespan)),
    probe(.optional(.float)), probe(.oneOf(["a": 1, "b": 2])),
]

/// A struct of every decodable kind, read from each section by ConfigDecoder.
struct Everything: Decodable {
    struct Nested: Decodable {
        var name: String?
        @Parsed<ConfigKind.Percent> var rate: Double
    }
    enum Suit: String, CaseIterable, ConfigDecodable { case clubs, spades }
    var count: Int?
    var small: Int8?
    var ratio: Double?
    var flag: Bool?
    var timeout: Duration?
    var backend: Endpoint?
    var names: [String]?
    var suits: [Suit]?
    var weights: [String: Int]?
    var nested: Nested?
    var byName: [String: Nested]?
}

func probe<Value>(_ parser: ConfigParser<Value>) -> (String) -> Void {
    { text in _ = try? parser.parse(text) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let ini = try? INIFile(text: text, path: "fuzz.ini") else { return 0 }
    for name in ini.sectionNames {
        guard let section = ini.section(name, environment: environment) else {
            fatalError("listed section \(name) is missing")
        }
        for value in Set(section.values) {
            for parse in parsers { parse(value) }
        }
        _ = try? ConfigDecoder().decode(Everything.self, from: section)
        // Dotted keys as a nested spec: `a.b = 1` read as DictOf under `a`.
        if let key = section.keys.min(), let prefix = key.split(separator: ".").first {
            _ = try? parseConfig(section) { config in try config(String(prefix), .dictOf(.string)) }
        }
    }
    return 0
}
