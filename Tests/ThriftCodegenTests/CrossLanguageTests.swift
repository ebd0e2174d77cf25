import Baseplate
import CodegenFixture
import Foundation
import Logging
import Testing
import TestSupport

/// Against Apache's C++ (Debian's thrift 0.17): the same IDL (crosslang.thrift) compiled by
/// `thrift --gen cpp` into Tests/Peers/codegen's crosslang_peer, built here on first use (about
/// 10 s; `make` keeps it up to date afterwards). C++ writes → Swift reads equal values and writes
/// identical bytes; Swift writes → C++ reads equal values and writes identical bytes.
@Suite(.serialized) struct CrossLanguageTests {
    // The samples crosslang_peer.cpp builds, built in Swift.
    static let scalars = CrossLang.Scalars(
        flag: true, tiny: -5, small: -300, medium: 70000, big: -5_000_000_000, ratio: 2.5, text: "h\u{E9}llo \u{2713}",
        blob: [0x00, 0xff, 0x7f], maybe: 7, name: "n", color: .green)

    static let samples: [String: any ThriftStruct] = [
        "scalars": scalars,
        "scalars_edge": CrossLang.Scalars(
            flag: false, tiny: -128, small: -32768, medium: .min, big: .min, ratio: -0.0, text: "", blob: [], maybe: nil,
            name: "", color: .unknown(99)),
        "collections": CrossLang.Collections(
            numbers: [1, -1, 300, 0], words: ["b", "a", "\u{E4}", "A", "ab"], counts: ["z": 1, "a": 2, "m": -3],
            flags: [true, false, true], nested: [3: ["x", "y"], -2: []], grid: [[1], [2, 3], []], ids: [5, -1, 3, 1_000_000],
            byColor: [.blue: .init(id: 1, label: "one"), .red: .init(id: 2, label: "two")],
            inners: [.init(id: 1, label: "a"), .init(id: 0, label: "")], emptyMap: [:], reals: [2.5, -1.0, 0.0],
            blobs: [[1, 2], []], byBool: [true: 5, false: -1]),
        "choice_text": CrossLang.Choice.text("t"),
        "choice_inner": CrossLang.Choice.inner(.init(id: 3, label: "c")),
        "failure": CrossLang.Failure(reason: "nope", code: -7),
        "everything": CrossLang.Everything(
            scalars: scalars, collections: .init(numbers: [1]), choice: .inner(.init(id: 3, label: "c")),
            failure: .init(reason: "f", code: 1),
            choices: [.number(1), .text("two"), .inner(.init(id: 4, label: "x"))], inner: .init(id: 5, label: "i")),
        // C++'s default-constructed value: every field of default requiredness written, the union
        // field as an empty struct, which Swift reads as no value (and so does not write back).
        "everything_default": CrossLang.Everything(scalars: .init(name: "", color: .init(rawValue: 0))),
    ]

    /// Cases whose bytes differ between the two by design (see "everything_default").
    static let valueOnly: Set<String> = ["everything_default"]

    /// Builds the peer once per test run (a static's initialiser runs once, even with suites in parallel).
    static let builtPeer: Result<String, TestFailure> = {
        let out = Peers.directory + "/codegen"
        do {
            let make = try run("/usr/bin/make", ["-s", "-C", Repository.path("Tests/Peers/codegen"), "OUT=\(out)"])
            guard make.status == 0 else { return .failure(TestFailure("building crosslang_peer failed:\n\(make.stdout)\(make.stderr)")) }
        } catch {
            return .failure(TestFailure("cannot run make: \(error)"))
        }
        return .success(out + "/crosslang_peer")
    }()

    static func peer() throws -> String { try builtPeer.get() }

    static func kind(_ name: Substring) -> ThriftProtocolKind { name == "binary" ? .binary : .compact }

    /// Decodes bytes as the sample's type, compares, and writes the decoded value again.
    static func checkTyped(_ sample: some ThriftStruct & Equatable, _ bytes: [UInt8], _ kind: ThriftProtocolKind) throws -> (equal: Bool, bytes: [UInt8]) {
        func open<T: ThriftStruct & Equatable>(_ sample: T) throws -> (Bool, [UInt8]) {
            let value = try decode(T.self, bytes, kind)
            return (value == sample, encode(value, kind))
        }
        return try open(sample)
    }

    static func check(_ sample: any ThriftStruct, _ bytes: [UInt8], _ kind: ThriftProtocolKind) throws -> (equal: Bool, bytes: [UInt8]) {
        switch sample {
        case let s as CrossLang.Scalars: try checkTyped(s, bytes, kind)
        case let s as CrossLang.Collections: try checkTyped(s, bytes, kind)
        case let s as CrossLang.Choice: try checkTyped(s, bytes, kind)
        case let s as CrossLang.Failure: try checkTyped(s, bytes, kind)
        case let s as CrossLang.Everything: try checkTyped(s, bytes, kind)
        default: throw TestFailure("no type for \(sample)")
        }
    }

    @Test func cppWritesSwiftReads() throws {
        let result = try run(try Self.peer(), ["write"])
        #expect(result.status == 0)
        var seen: Set<String> = []
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            try #require(parts.count == 2, "\(line)")
            let key = parts[0].split(separator: ".", maxSplits: 1)
            let name = String(key[1])
            let sample = try #require(Self.samples[name], "unknown case \(name)")
            let bytes = hexBytes(String(parts[1]))
            let (equal, again) = try Self.check(sample, bytes, Self.kind(key[0]))
            #expect(equal, "\(line)")
            if !Self.valueOnly.contains(name) {
                #expect(hex(again) == hex(bytes), "\(parts[0])")
            }
            seen.insert(String(parts[0]))
        }
        #expect(seen.count == Self.samples.count * 2)
    }

    @Test func swiftWritesCppReads() throws {
        var input = ""
        var written: [String: [UInt8]] = [:]
        for (name, sample) in Self.samples.sorted(by: { $0.key < $1.key }) {
            for kind in [ThriftProtocolKind.binary, .compact] {
                let key = "\(kind).\(name)"
                let bytes = encode(sample, kind)
                written[key] = bytes
                input += "\(key) \(hex(bytes))\n"
            }
        }
        let result = try run(try Self.peer(), ["check"], input: input)
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == written.count)
        for line in lines {
            let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
            try #require(parts.count == 3, "\(line)")
            #expect(parts[1] == "equal", "\(line)")
            let name = String(parts[0].split(separator: ".", maxSplits: 1)[1])
            if !Self.valueOnly.contains(name) {
                #expect(parts[2] == hex(written[parts[0]] ?? []), "\(parts[0])")
            }
        }
    }
}

/// CrossService between the two: our client against Apache's C++ server (`crosslang_peer serve`, a
/// `TThreadedServer` with `THeaderProtocolFactory`) in every dialect, and Apache's C++ client
/// (`crosslang_peer call`) against our server.
@Suite(.serialized) struct CrossLanguageServiceTests {
    struct Handler: CrossLang.CrossServiceHandler {
        func echo(value: CrossLang.Everything, context: RequestContext) async throws -> CrossLang.Everything {
            if value.failure?.code == 13 { throw CrossLang.Failure(reason: "thrown", code: 13) }
            return value
        }

        func poke(n: Int32, context: RequestContext) async throws {}
    }

    static let sample = CrossLanguageTests.samples["everything"] as! CrossLang.Everything

    @Test func ourClientAgainstTheirServer() async throws {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: try CrossLanguageTests.peer())
        server.arguments = ["serve"]
        let out = Pipe()
        server.standardOutput = out
        try server.run()
        defer {
            // SIGKILL: the test runner's children may inherit an ignored SIGTERM.
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        var line = ""
        while !line.hasSuffix("\n"), let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty {
            line += String(decoding: byte, as: UTF8.self)
        }
        let port = try #require(Int(line.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""), "\(line)")
        var failing = Self.sample
        failing.failure = CrossLang.Failure(reason: "f", code: 13)
        for dialect in ServiceTests.dialects {
            let client = CrossLang.CrossServiceClient(channel: try SocketChannel(port: port, framing: dialect.framing, protocol: dialect.kind))
            #expect(try await client.echo(value: Self.sample) == Self.sample, "\(dialect.testDescription)")
            await #expect(throws: CrossLang.Failure(reason: "thrown", code: 13), "\(dialect.testDescription)") {
                try await client.echo(value: failing)
            }
            try await client.poke(n: 1)
            #expect(try await client.echo(value: Self.sample) == Self.sample, "\(dialect.testDescription)")
        }
    }

    @Test func theirClientAgainstOurServer() throws {
        let peer = try CrossLanguageTests.peer()
        let server = try ThriftServer(configuration: .init(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1),
                                      processor: CrossLang.CrossServiceProcessor(handler: Handler()),
                                      logger: Logger(label: "codegen-test"))
        try server.start()
        defer { server.shutdown(timeout: .seconds(2)) }
        for transport in ["framed", "header", "buffered"] {
            for proto in ["binary", "compact"] {
                let result = try run(peer, ["call", "\(server.port)", transport, proto])
                #expect(result.status == 0, "\(transport)+\(proto): \(result.stdout)")
                #expect(result.stdout == "echo equal\nfailure thrown\necho after poke equal\n", "\(transport)+\(proto)")
            }
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
