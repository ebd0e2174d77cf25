import Foundation
import Testing
@testable import Baseplate

/// The INI reader and the config parsers against the real thing, when the repository's venv
/// is there: CPython 3.11's configparser and baseplate==2.7.0's `baseplate.lib.config`, on
/// the golden cases and on a few hundred generated inputs (fixed seed).
@Suite(.enabled(if: PythonOracle.available, "needs .venv/bin/python (make venv)"))
struct ConfigCrossCheckTests {
    static let environment = ["FOO": "environmental", "EMPTY": "", "PATH": "/usr/bin:/bin"]

    static let iniScript = #"""
        import configparser, json, os, sys
        class EnvironmentInterpolation(configparser.Interpolation):
            def before_get(self, parser, section, option, value, defaults):
                return os.path.expandvars(value)
        def read(text, path):
            with open(path, "w", newline="", encoding="utf-8") as f:
                f.write(text)
            p = configparser.RawConfigParser(interpolation=EnvironmentInterpolation())
            try:
                with open(path, encoding="utf-8") as f:
                    p.read_file(f, source="t.ini")
            except configparser.Error as e:
                return {"error": type(e).__name__, "message": str(e)}
            return {"sections": p.sections(),
                    "items": {s: [list(kv) for kv in p.items(s)] for s in ["DEFAULT"] + p.sections()}}
        for text in json.load(open(sys.argv[1], encoding="utf-8")):
            print(json.dumps(read(text, sys.argv[2] + "/t.ini")))
        """#

    /// Random INI files built line by line from fragments that exercise every rule.
    static func generatedINIFiles(count: Int) -> [String] {
        var rng = ConfigTestRandom(seed: 0xBA5E_B1A7E)
        let indents = ["", "", "", " ", "  ", "\t", "\u{A0}"]
        let names = ["a", "b", "A", "x", "X", "key", "sp ace", "\u{C9}t\u{E9}", ""]
        let values = ["1", "v", "", "b: c", "x=y", "$FOO", "${FOO}", "$EMPTY", "${x:y}", "37%", "a ; b", "# not", " pad ", "'q\""]
        let sections = ["[a]", "[b]", "[DEFAULT]", "[A]", "[]", "[a] junk", "[c]]", "[ d ]", "["]
        let breaks = ["\n", "\n", "\n", "\r\n", "\r"]
        return (0..<count).map { _ in
            var text = rng.next() % 4 == 0 ? "" : rng.pick(sections) + "\n"
            for _ in 0..<(1 + rng.next() % 8) {
                let line: String
                switch rng.next() % 10 {
                case 0: line = rng.pick(sections)
                case 1: line = rng.pick(["#", ";"]) + " comment"
                case 2: line = ""
                case 3: line = "garbage"
                case 4: line = rng.pick(values)
                default: line = rng.pick(names) + rng.pick([" = ", "=", ": ", ":", " =\t"]) + rng.pick(values)
                }
                text += rng.pick(indents) + line + rng.pick(breaks)
            }
            return rng.next() % 5 == 0 ? String(text.dropLast()) : text
        }
    }

    @Test func iniMatchesConfigparser() throws {
        let texts = ConfigINIFileTests.cases.map(\.text) + Self.generatedINIFiles(count: 400)
        let lines = try PythonOracle.run(Self.iniScript, input: try JSONEncoder().encode(texts), environment: Self.environment)
        try #require(lines.count == texts.count)
        var mismatches = 0
        var tally: [String: Int] = [:]
        for (text, line) in zip(texts, lines) {
            let python = try JSONDecoder().decode(INIOutcome.self, from: Data(line.utf8))
            tally[python.error ?? "ok", default: 0] += 1
            let swift = INIOutcome.of(text, environment: Self.environment)
            if swift != python {
                mismatches += 1
                Issue.record("INI \(String(reflecting: text))\n  python: \(python)\n  swift:  \(swift)")
                if mismatches > 10 { break }
            }
        }
        // The generated files reach every outcome.
        for outcome in ["ok", "ParsingError", "MissingSectionHeaderError", "DuplicateSectionError", "DuplicateOptionError"] {
            #expect(tally[outcome, default: 0] >= 10, "\(outcome): \(tally)")
        }
        print("INI outcomes: \(tally)")
    }

    static let parserScript = #"""
        import json, sys
        from baseplate.lib import config
        ONE_OF = config.OneOf(ONE=1, TWO=2, THREE=3)
        parsers = {
            "Integer": config.Integer, "Integer8": config.Integer(base=8), "Integer0": config.Integer(base=0),
            "Integer16": config.Integer(base=16), "Float": config.Float, "Percent": config.Percent,
            "Boolean": config.Boolean, "String": config.String, "Timespan": config.Timespan,
            "TimespanWithLegacyFallback": config.TimespanWithLegacyFallback,
            "TimespanOrInfinite": config.TimespanOrInfinite, "Base64": config.Base64,
            "Endpoint": config.Endpoint, "TupleOf": config.TupleOf(config.Integer), "OneOf": ONE_OF,
            "UnixUser": config.UnixUser, "UnixGroup": config.UnixGroup,
            "Fallback": config.Fallback(config.Percent, config.Float),
        }
        def render(v):
            if v is config.InfiniteTimespan: return "infinite"
            if isinstance(v, bool): return str(v)
            if isinstance(v, float): return repr(v)
            if isinstance(v, bytes): return v.hex()
            if isinstance(v, list): return ",".join(render(x) for x in v)
            if hasattr(v, "total_seconds"): return str(v // config.datetime.timedelta(microseconds=1))
            if isinstance(v, config.EndpointConfiguration):
                return ("unix:" if isinstance(v.address, str) else "inet:") + str(v.address)
            return str(v)
        for name, text in json.load(open(sys.argv[1], encoding="utf-8")):
            try:
                out = {"ok": render(parsers[name](text))}
            except (ValueError, OverflowError) as e:
                out = {"error": str(e)}
            print(json.dumps(out))
        """#

    struct ParserOutcome: Codable, Equatable {
        var ok: String?
        var error: String?
    }

    static func render(_ value: Any) -> String {
        switch value {
        case let v as Double: return "\(v)"
        case let v as Duration:
            let (s, a) = v.components
            return "\(s * 1_000_000 + a / 1_000_000_000_000)"
        case let v as TimespanOrInfinite:
            if case .finite(let d) = v { return render(d) }
            return "infinite"
        case let v as [UInt8]: return v.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        case let v as [Int]: return v.map(String.init).joined(separator: ",")
        case let v as Endpoint:
            switch v {
            case .inet(let host, let port): return "inet:\(host):\(port)"
            case .unix(let path): return "unix:\(path)"
            }
        case let v as Bool: return v ? "True" : "False"
        default: return "\(value)"
        }
    }

    static func swiftOutcome(_ name: String, _ text: String) -> ParserOutcome {
        func run<V>(_ p: ConfigParser<V>) -> ParserOutcome {
            do { return ParserOutcome(ok: render(try p.parse(text))) } catch { return ParserOutcome(error: "\(error)") }
        }
        switch name {
        case "Integer": return run(.integer)
        case "Integer8": return run(.integer(base: 8))
        case "Integer0": return run(.integer(base: 0))
        case "Integer16": return run(.integer(base: 16))
        case "Float": return run(.float)
        case "Percent": return run(.percent)
        case "Boolean": return run(.boolean)
        case "String": return run(.string)
        case "Timespan": return run(.timespan)
        case "TimespanWithLegacyFallback": return run(.timespanWithLegacyFallback)
        case "TimespanOrInfinite": return run(.timespanOrInfinite)
        case "Base64": return run(.base64)
        case "Endpoint": return run(.endpoint)
        case "TupleOf": return run(.tupleOf(.integer))
        case "OneOf": return run(.oneOf(["ONE": 1, "TWO": 2, "THREE": 3]))
        case "UnixUser": return run(ConfigParser<UInt32>.unixUser.map { $0 == .max ? -1 : Int($0) })
        case "UnixGroup": return run(ConfigParser<UInt32>.unixGroup.map { $0 == .max ? -1 : Int($0) })
        case "Fallback": return run(.fallback(.percent, .float))
        default: fatalError(name)
        }
    }

    /// Inputs where this project extends baseplate.py on purpose (see the README).
    static func isExtension(_ name: String, _ text: String) -> Bool {
        let timespans = ["Timespan", "TimespanWithLegacyFallback", "TimespanOrInfinite"]
        if timespans.contains(name) {
            let parts = PythonText.split(text)
            if parts.count == 2, ["ms", "s", "sec", "secs", "min", "mins", "h", "hr", "hrs", "d"].contains(parts[1]) { return true }
        }
        if name == "UnixUser" || name == "UnixGroup", case .success(let n) = PythonText.parseInt(text), n < -1 || n > UInt32.max {
            return true
        }
        return name == "Endpoint" && text.hasPrefix("[") && !text.contains("/")
    }

    static func generatedParserInputs(count: Int) -> [[String]] {
        var rng = ConfigTestRandom(seed: 42)
        let digits = ["0", "1", "7", "9", "42", "_", " ", "+", "-", "\u{663}"]
        let integer = digits + ["0x", "0o", "0b", "ff", "a", "\u{A0}"]
        let float = digits + [".", ".", "e", "E", "inf", "nan", "x"]
        let timespan = ["1 ", "30 ", "-2 ", "1.5 ", "x ", "7\t", "1_0 ", " 3 "].flatMap { n in
            ["millisecond", "milliseconds", "second", "seconds", "minutes", "hour", "days", "dayss", "weeks", "ms", "s", ""].map { n + $0 }
        } + ["infinite", "92", "0.25", "1e3", "", "1 2 3"]
        let pieces: [String: [String]] = [
            "Integer": integer, "Integer8": integer, "Integer0": integer, "Integer16": integer,
            "Float": float, "Percent": float + ["%", "%", "%"], "Fallback": float + ["%", "%"],
            "Timespan": timespan, "TimespanWithLegacyFallback": timespan + float, "TimespanOrInfinite": timespan,
            "Base64": ["Zm9v", "YQ", "=", "==", "a", "b", "\n", "!", "+/", "AA", "-_"],
            "Endpoint": ["localhost", ":", "80", "/", "[", "]", "::1", "x", " ", "0"],
            "TupleOf": ["1", "2", "42", ",", ", ", " ", "a", "_"],
            "Boolean": ["true", "false", "TRUE", "FaLsE", "x", " "], "OneOf": ["ONE", "TWO", "one", " ", "THREE"],
            "UnixUser": ["root", "0", "1000", "nobody", "x", "-1", " "], "UnixGroup": ["root", "0", "1000", "x", "-"],
            "String": ["a", " ", "\u{E9}", "'", "\""],
        ]
        let names = pieces.keys.sorted()
        return (0..<count).map { _ in
            let name = rng.pick(names)
            let single = ["Timespan", "TimespanOrInfinite", "UnixUser", "UnixGroup", "Boolean", "OneOf"].contains(name)
            var text = ""
            for _ in 0..<(single ? 1 + rng.next() % 2 : rng.next() % 6) { text += rng.pick(pieces[name]!) }
            return [name, text]
        }
    }

    static let curatedParserInputs: [[String]] = [
        ["Integer", "337"], ["Integer", ""], ["Integer", "illegal"], ["Integer", "1.2"], ["Integer", " +1_000 "],
        ["Integer", "1__0"], ["Integer", "_1"], ["Integer", "1_"], ["Integer", "-0"], ["Integer", "\u{663}\u{664}"],
        ["Integer", String(repeating: "x", count: 300)], ["Integer8", "0600"], ["Integer8", "0o17"], ["Integer8", "8"],
        ["Integer0", "0600"], ["Integer0", "0x_ff"], ["Integer0", "000"], ["Integer0", "0_0"], ["Integer16", "0b1"],
        ["Float", "1.2"], ["Float", ""], ["Float", "sdklfj"], ["Float", ".5"], ["Float", "1."], ["Float", "1e5"],
        ["Float", "-Infinity"], ["Float", "nAn"], ["Float", "1_0.5"], ["Float", "1e1_0"], ["Float", "0x10"], ["Float", "e5"],
        ["Float", "1e500"], ["Float", "\u{663}.\u{665}"],
        ["Percent", "37.2%"], ["Percent", "100%"], ["Percent", "9"], ["Percent", "-10%"], ["Percent", "120%"],
        ["Percent", "30%%%%"], ["Percent", "%"], ["Percent", "nan%"], ["Percent", "0%"],
        ["Boolean", "true"], ["Boolean", "True"], ["Boolean", "FALSE"], ["Boolean", ""], ["Boolean", "wrong"], ["Boolean", "1"],
        ["String", "whatever"], ["String", ""],
        ["Timespan", ""], ["Timespan", "a b"], ["Timespan", "10 florgles"], ["Timespan", "a b c"], ["Timespan", "3.2 hours"],
        ["Timespan", "30 milliseconds"], ["Timespan", "1 second"], ["Timespan", "2 seconds"], ["Timespan", "30 minutes"],
        ["Timespan", "2 hours"], ["Timespan", "1 day"], ["Timespan", "1 secondsss"], ["Timespan", "-5 seconds"],
        ["Timespan", " 7\tminutes\n"], ["Timespan", "1 Second"],
        ["TimespanWithLegacyFallback", "30 minutes"], ["TimespanWithLegacyFallback", "92"], ["TimespanWithLegacyFallback", ""],
        ["TimespanWithLegacyFallback", "0.0000015"], ["TimespanWithLegacyFallback", "nan"], ["TimespanWithLegacyFallback", "inf"],
        ["TimespanOrInfinite", "infinite"], ["TimespanOrInfinite", "Infinite"], ["TimespanOrInfinite", "5 days"],
        ["Base64", ""], ["Base64", "dGvzdAo"], ["Base64", "aHVudGVyMg=="], ["Base64", "a"], ["Base64", "abcd="],
        ["Base64", "a=b=c=d"], ["Base64", "\u{E9}"], ["Base64", "!!!!"], ["Base64", "a==="], ["Base64", "ab=\n=cd"],
        ["Endpoint", ""], ["Endpoint", "localhost"], ["Endpoint", "localhost:1234"], ["Endpoint", ":80"], ["Endpoint", "a:b"],
        ["Endpoint", "a:1:2"], ["Endpoint", "/this/is/a/path.sock"], ["Endpoint", "h: 80"],
        ["TupleOf", "1,2,3"], ["TupleOf", "4, 5, 6"], ["TupleOf", ""], ["TupleOf", "a, b"], ["TupleOf", " , ,1,, 2 ,"],
        ["OneOf", "ONE"], ["OneOf", "THREE"], ["OneOf", ""], ["OneOf", "FOUR"], ["OneOf", "one"],
        ["UnixUser", "root"], ["UnixUser", "fhqwhgads"], ["UnixUser", "1234"], ["UnixUser", ""],
        ["UnixGroup", "root"], ["UnixGroup", "fhqwhgads"], ["UnixGroup", "0"],
        ["Fallback", "33%"], ["Fallback", ".44"], ["Fallback", "x"],
    ]

    @Test func parsersMatchBaseplate() throws {
        let inputs = (Self.curatedParserInputs + Self.generatedParserInputs(count: 3000))
            .filter { !Self.isExtension($0[0], $0[1]) }
        let lines = try PythonOracle.run(Self.parserScript, input: try JSONEncoder().encode(inputs), environment: Self.environment)
        try #require(lines.count == inputs.count)
        var mismatches = 0
        var accepted = 0
        for (input, line) in zip(inputs, lines) {
            let python = try JSONDecoder().decode(ParserOutcome.self, from: Data(line.utf8))
            if python.ok != nil { accepted += 1 }
            let swift = Self.swiftOutcome(input[0], input[1])
            var same = swift == python
            if !same, let a = swift.ok.flatMap(Double.init), let b = python.ok.flatMap(Double.init), ["Float", "Percent", "Fallback"].contains(input[0]) {
                same = a == b || (a.isNaN && b.isNaN)
            }
            if !same {
                mismatches += 1
                Issue.record("\(input[0])(\(String(reflecting: input[1])))\n  python: \(python)\n  swift:  \(swift)")
                if mismatches > 20 { break }
            }
        }
        #expect(accepted >= 800, "inputs baseplate.py accepts: \(accepted) of \(inputs.count)")
        print("parser inputs accepted: \(accepted) of \(inputs.count)")
    }
}

/// A small deterministic generator for the generated cases.
struct ConfigTestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
}
