@testable import BaseplateServe
import Foundation
import Testing

/// The command-line parser against Python's argparse itself (baseplate.py's tools use it): the
/// same arguments declared in both, the same command lines, the same outcome (values and
/// handed-on arguments, or the error text), and the same usage line at several widths. Covers
/// what our three tools' own options cannot reach: ambiguous prefixes, `type=` errors,
/// negative numbers and spaces, `--`, quoting in errors.
struct CommandSyntaxTests {
    enum Arg {
        static let appName = CommandSyntax.Option.value("--app-name", metavar: "NAME", default: "main", help: "")
        static let appMode = CommandSyntax.Option.value("--app-mode", default: "a", choices: ["a", "b"], help: "")
        static let verbose = CommandSyntax.Option.flag("--verbose", help: "")
        static let count = CommandSyntax.Option.value(
            "--count", metavar: "N", default: "1", type: .init(name: "int") { Int($0) != nil }, help: "")
        static let file = CommandSyntax.Positional(name: "file", help: "")
        static let kind = CommandSyntax.Positional(name: "kind", choices: ["x", "y"], help: "")
    }

    static func syntax(program: String = "t", passThrough: Bool) -> CommandSyntax {
        CommandSyntax(program: program, description: "", options: [Arg.appName, Arg.appMode, Arg.verbose, Arg.count],
                      positionals: [Arg.file, Arg.kind], passThrough: passThrough ? (name: "rest", help: "") : nil)
    }

    static let oracle = #"""
        import argparse, json, os, sys

        class Stop(Exception):
            pass

        class Parser(argparse.ArgumentParser):
            def error(self, message):
                raise Stop(message)
            def exit(self, status=0, message=None):
                raise Stop("help" if status == 0 else message)
            def print_help(self, file=None):
                pass

        def make(prog="t"):
            p = Parser(prog=prog)
            p.add_argument("--app-name", metavar="NAME", default="main")
            p.add_argument("--app-mode", choices=["a", "b"], default="a")
            p.add_argument("--verbose", action="store_true")
            p.add_argument("--count", metavar="N", type=int, default=1)
            p.add_argument("file")
            p.add_argument("kind", choices=["x", "y"])
            return p

        request = json.load(sys.stdin)
        results = []
        for known, argv in request["parses"]:
            try:
                if known:
                    ns, extra = make().parse_known_args(argv)
                else:
                    ns, extra = make().parse_args(argv), []
                results.append({"values": {k: str(v) for k, v in vars(ns).items()}, "extra": extra})
            except Stop as e:
                results.append({"error": str(e)})
        usages = []
        for prog, columns in request["usages"]:
            os.environ["COLUMNS"] = str(columns)
            usages.append(make(prog).format_usage())
        json.dump({"results": results, "usages": usages}, sys.stdout)
        """#

    static func argparse(_ request: [String: Any]) throws -> [String: Any] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", oracle]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: request))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "python3 failed")
        return try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// Ours in the oracle's form.
    static func ours(_ argv: [String], passThrough: Bool) -> [String: Any] {
        do throws(CommandSyntax.Failure) {
            let parsed = try syntax(passThrough: passThrough).parse(argv)
            let values: [String: String] = [
                "app_name": parsed[Arg.appName], "app_mode": parsed[Arg.appMode],
                "verbose": parsed.isSet(Arg.verbose) ? "True" : "False", "count": parsed[Arg.count],
                "file": parsed[Arg.file], "kind": parsed[Arg.kind],
            ]
            return ["values": values, "extra": parsed.extra]
        } catch {
            switch error {
            case .helpRequested: return ["error": "help"]
            case .usage(let message): return ["error": message]
            }
        }
    }

    static let commandLines: [[String]] = [
        ["f", "x"], ["f", "x", "--verbose", "--app-name", "n", "--app-mode=b", "--count", "3"],
        ["--app", "n", "f", "x"], ["--app=n", "f", "x"], ["--app-n=q", "f", "x"], ["--app-m", "c", "f", "x"],
        ["--verb", "f", "x"], ["--verbose=1", "f", "x"], ["--count", "-5", "f", "x"], ["--count", "x5", "f", "x"],
        ["--count=", "f", "x"], ["--count", "-", "f", "x"], ["--count"], ["--count", "--verbose", "f", "x"],
        ["--count", "'\"", "f", "x"], ["--app-name", "it's", "f", "z"], ["--app-mode", "back\\slash", "f", "x"],
        ["f", "z"], ["f"], [], ["f", "x", "extra", "--unknown", "-u", "-5", "-.5", "a b", "-a b", "--u=1"],
        ["--", "-f", "x"], ["f", "--", "x", "--verbose"], ["-", "x"], ["f", "x", "--app-name", "a", "--app-name", "b"],
        ["-h"], ["f", "--he"], ["--unknown", "--help"], ["--app-mode", "c", "--help"], ["f", "x", "-v", "--"],
        ["f", "x", "--", "y"], ["f", "--count", "2", "--", "x"], ["f", "x", "--count", "2", "--", "y"], ["f", "--"],
        ["--verbose", "--", "f", "x", "--", "y"], ["--count", "--", "f", "x"], ["--=x", "f", "x"], ["--a=1", "f", "x"],
    ]

    @Test func parsesAsArgparse() throws {
        let parses = Self.commandLines.flatMap { argv in [[false, argv], [true, argv]] as [[Any]] }
        let usages: [[Any]] = [["t", 80], ["t", 50], ["t", 30], ["t", 200], ["a-rather-long-program-name", 30],
                               ["a-rather-long-program-name", 60], ["a-rather-long-program-name", 40]]
        let answer = try Self.argparse(["parses": parses, "usages": usages])
        let theirs = try #require(answer["results"] as? [[String: Any]])
        try #require(theirs.count == parses.count)
        for (parse, expected) in zip(parses, theirs) {
            let ours = Self.ours(parse[1] as! [String], passThrough: parse[0] as! Bool)
            #expect(NSDictionary(dictionary: ours) == NSDictionary(dictionary: expected),
                    "\(parse): ours \(ours), argparse \(expected)")
        }
        let theirUsages = try #require(answer["usages"] as? [String])
        for (request, expected) in zip(usages, theirUsages) {
            let usage = Self.syntax(program: request[0] as! String, passThrough: false)
                .usage(width: (request[1] as! Int) - 2)
            #expect(usage == expected, "\(request)")
        }
    }
}
