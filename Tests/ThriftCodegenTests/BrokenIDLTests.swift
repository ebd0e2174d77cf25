import Foundation
import Testing
@testable import ThriftCodegen

/// Bad IDL gives `file:line:col: message`, never a crash. Each file in Tests/CodegenFixtures/Broken
/// that starts with `# expect: <file>:<line>:<col>: <message>` is one case.
@Suite struct BrokenIDLTests {
    static let directory = Repository.path("Tests/CodegenFixtures/Broken")

    static let cases: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { name in
            name.hasSuffix(".thrift") && expectation(name) != nil
        }.sorted()
    }()

    static func expectation(_ name: String) -> String? {
        guard let text = try? String(contentsOfFile: directory + "/" + name, encoding: .utf8),
              let first = text.split(separator: "\n").first, first.hasPrefix("# expect: ") else { return nil }
        return String(first.dropFirst("# expect: ".count))
    }

    @Test func thereAreAtLeastADozen() {
        #expect(Self.cases.count >= 12)
    }

    @Test(arguments: cases) func reportsItsError(_ name: String) throws {
        let expected = try #require(Self.expectation(name))
        do {
            _ = try ThriftCodegen.generate(paths: [Self.directory + "/" + name], moduleName: "Broken")
            Issue.record("\(name) compiled")
        } catch {
            let prefix = Self.directory + "/"
            let shown = "\(error.location.file.replacingOccurrences(of: prefix, with: "")):\(error.location.line):\(error.location.column): \(error.message)"
                .replacingOccurrences(of: prefix, with: "")
            #expect(shown == expected)
        }
    }

    @Test func cliPrintsTheErrorAndFails() throws {
        let tool = try #require(Repository.thriftSwift, "thrift-swift not built next to the tests")
        let file = Self.directory + "/unknown_type.thrift"
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("thrift-swift-broken-\(getpid())").path
        let result = try run(tool, ["--out", out, file])
        #expect(result.status == 1)
        #expect(result.stderr == "\(file):4:8: error: unknown type 'Missing'\n")
        #expect(!FileManager.default.fileExists(atPath: out + "/unknown_type.thrift.swift"))
    }

    @Test func cliRejectsBadUsage() throws {
        let tool = try #require(Repository.thriftSwift, "thrift-swift not built next to the tests")
        #expect(try run(tool, []).status == 64)
        #expect(try run(tool, ["--bogus", "x.thrift"]).status == 64)
        #expect(try run(tool, ["-I"]).status == 64)
        #expect(try run(tool, ["/nonexistent/x.thrift"]).stderr == "/nonexistent/x.thrift:1:1: error: cannot read '/nonexistent/x.thrift'\n")
    }

    @Test func cliWritesOneFilePerIDL() throws {
        let tool = try #require(Repository.thriftSwift, "thrift-swift not built next to the tests")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("thrift-swift-out-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let fixtures = Repository.path("Tests/CodegenFixtures/Everything")
        let result = try run(tool, ["-I", Repository.path("Tests/CodegenFixtures/Base"), "--out", out, "--module-name", "CodegenFixture",
                                    fixtures + "/everything.thrift", fixtures + "/shared.thrift"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["everything.thrift.swift", "shared.thrift.swift"])
    }
}

/// Mutated IDL (bytes dropped, repeated or replaced, deterministically) gives errors or code, never a crash.
@Suite struct MutatedIDLTests {
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    @Test func neverCrashes() throws {
        let dir = Repository.path("Tests/CodegenFixtures/Everything")
        let original = Array(try String(contentsOfFile: dir + "/everything.thrift", encoding: .utf8).utf8)
        let base = try String(contentsOfFile: Repository.path("Tests/CodegenFixtures/Base/base.thrift"), encoding: .utf8)
        let shared = try String(contentsOfFile: dir + "/shared.thrift", encoding: .utf8)
        var rng = SplitMix(state: 42)
        let alphabet = Array("{}()[]<>,;:=*&\"'/#\n 0x-.1ab_".utf8)
        var compiled = 0
        for _ in 0..<300 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                let length = min(Int.random(in: 1...12, using: &rng), bytes.count - at)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes.removeSubrange(at..<(at + length))
                case 1: bytes.insert(contentsOf: bytes[at..<(at + length)], at: at)
                default: bytes[at] = alphabet.randomElement(using: &rng)!
                }
            }
            let files = ["everything.thrift": String(decoding: bytes, as: UTF8.self), "base.thrift": base, "shared.thrift": shared]
            do {
                _ = try ThriftCodegen.generate(paths: ["everything.thrift"], moduleName: "CodegenFixture",
                                               fileSystem: MemoryFileSystem(files))
                compiled += 1
            } catch {
                #expect(error.location.line >= 1 && error.location.column >= 1)
            }
        }
        #expect(compiled < 300)
    }
}
