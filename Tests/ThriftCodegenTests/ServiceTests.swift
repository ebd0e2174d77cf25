import Baseplate
import CodegenFixture
import CodegenFixtureBase
import Foundation
import Logging
import Synchronization
import Testing

/// A handler of `Derived` (which extends `Everything`, which extends `BaseService` of another module).
struct FixtureHandler: DerivedHandler {
    struct Undeclared: Swift.Error {}

    /// Messages received by the oneway `notify`.
    let notified = NotifyLog()

    func ping(message: String, context: RequestContext) async throws -> String { message }

    func add(a: Int32, b: Int32, context: RequestContext) async throws -> Int32 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        if overflow { throw BaseError(reason: "overflow") }
        return sum
    }

    func echoPrimitives(value: Primitives, context: RequestContext) async throws -> Primitives { value }
    func echoContainers(value: Containers, context: RequestContext) async throws -> Containers { value }
    func echoDefaults(value: Defaults, context: RequestContext) async throws -> Defaults { value }
    func nothing(context: RequestContext) async throws {}

    func notify(message: String, context: RequestContext) async throws {
        notified.append(message)
        if message == "fail" { throw Undeclared() }
    }

    func transform(shape: Shape?, factor: Double?, context: RequestContext) async throws -> Shape {
        switch shape {
        case .named("missing"): throw NotFound(key: "missing", code: 404)
        case .named("error"): throw CodegenFixtureError(message: "bad shape")
        case .named("boom"): throw Undeclared()
        case .named("app"): throw TApplicationException(.invalidTransform, "custom")
        case .circle(let c): return .circle(Circle(radius: c.radius * (factor ?? 1)))
        case let other?: return other
        case nil: return .named("none")
        }
    }

    func count(items: [String], context: Int32, requestContext: RequestContext) async throws -> Int32 {
        Int32(items.count) + context
    }

    func reverse(head: Node?, context: RequestContext) async throws -> Node {
        var reversed: Node?
        var current = head
        while let node = current {
            reversed = Node(value: node.value, next: reversed)
            current = node.next
        }
        return reversed ?? Node(value: -1)
    }

    func failWith(code: Int32, context: RequestContext) async throws {
        if code != 0 { throw NotFound(key: "code", code: code) }
    }

    func statusOf(name: String, context: RequestContext) async throws -> StatusAlias { name == "active" ? .active : .unrecognized(5) }

    func simplify(expr: Expr?, context: RequestContext) async throws -> Expr {
        func value(_ e: Expr) -> Int64 {
            switch e {
            case .literal(let v): v
            case .sum(let s): value(s.left) + value(s.right)
            case .negate(let n): -value(n)
            }
        }
        return .literal(expr.map(value) ?? 0)
    }

    func noZero(requiredArg: WithRequired?, shape: Shape?, context: RequestContext) async throws -> NoZero {
        NoZero(shape: shape, inner: requiredArg, plain: 1)
    }

    func keywords(in: Keywords, context: RequestContext) async throws -> Keywords {
        var k = `in`
        k.default += 1
        return k
    }

    func missingResult(context: RequestContext) async throws -> Label { "present" }

    func now(context: RequestContext) async throws -> Timestamp { 42 }
}

final class NotifyLog: Sendable {
    private let messages = Mutex<[String]>([])
    func append(_ m: String) { messages.withLock { $0.append(m) } }
    var all: [String] { messages.withLock { $0 } }

    /// Waits (briefly) until `count` messages arrived.
    func wait(for count: Int) async -> [String] {
        for _ in 0..<200 where all.count < count { try? await Task.sleep(for: .milliseconds(10)) }
        return all
    }
}

/// Generated client against generated server, over the real server in every dialect.
@Suite(.serialized) struct ServiceTests {
    struct Dialect: CustomTestStringConvertible, Sendable {
        var framing: SocketChannel.Framing
        var kind: ThriftProtocolKind
        var testDescription: String { "\(framing.rawValue)+\(kind)" }
    }

    static let dialects = SocketChannel.Framing.allCases.flatMap { f in
        [ThriftProtocolKind.binary, .compact].map { Dialect(framing: f, kind: $0) }
    }

    static func withServer(_ handler: FixtureHandler = FixtureHandler(),
                           _ body: (ThriftServer) async throws -> Void) async throws {
        let server = try ThriftServer(configuration: .init(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1),
                                      processor: DerivedProcessor(handler: handler),
                                      logger: Logger(label: "codegen-test"))
        try server.start()
        defer { server.shutdown(timeout: .seconds(2)) }
        try await body(server)
    }

    @Test(arguments: dialects) func everyMethod(_ dialect: Dialect) async throws {
        let handler = FixtureHandler()
        try await Self.withServer(handler) { server in
            let client = DerivedClient(channel: try SocketChannel(port: server.port, framing: dialect.framing, protocol: dialect.kind))
            // Inherited from another module's service, through two levels of `extends`.
            #expect(try await client.ping(message: "hi") == "hi")
            #expect(try await client.add(a: 2, b: 3) == 5)
            await #expect(throws: BaseError(reason: "overflow")) { try await client.add(a: .max, b: 1) }
            // This file's services.
            #expect(try await client.echoPrimitives(value: RoundTripTests.primitives) == RoundTripTests.primitives)
            #expect(try await client.echoContainers(value: RoundTripTests.containers) == RoundTripTests.containers)
            #expect(try await client.echoDefaults() == Defaults())
            try await client.nothing()
            #expect(try await client.transform(shape: .circle(Circle(radius: 2)), factor: 1.5) == .circle(Circle(radius: 3)))
            #expect(try await client.transform() == .named("none"))
            await #expect(throws: NotFound(key: "missing", code: 404)) { try await client.transform(shape: .named("missing")) }
            await #expect(throws: CodegenFixtureError(message: "bad shape")) { try await client.transform(shape: .named("error")) }
            await #expect(throws: TApplicationException(.internalError, "Internal error")) {
                try await client.transform(shape: .named("boom"))
            }
            await #expect(throws: TApplicationException(.invalidTransform, "custom")) { try await client.transform(shape: .named("app")) }
            #expect(try await client.count(items: ["a", "b"], context: 10) == 12)
            let list = Node(value: 1, next: Node(value: 2, next: Node(value: 3)))
            #expect(try await client.reverse(head: list) == Node(value: 3, next: Node(value: 2, next: Node(value: 1))))
            try await client.failWith(code: 0)
            await #expect(throws: NotFound(key: "code", code: 7)) { try await client.failWith(code: 7) }
            #expect(try await client.statusOf(name: "active") == .active)
            #expect(try await client.statusOf(name: "x") == .unrecognized(5))
            #expect(try await client.simplify(expr: .sum(Sum(left: .literal(5), right: .negate(.literal(2))))) == .literal(3))
            #expect(try await client.noZero() == NoZero(plain: 1))
            #expect(try await client.keywords(in: Keywords(default: 1)) == Keywords(default: 2))
            #expect(try await client.missingResult() == "present")
            #expect(try await client.now() == 42)
            // Oneway: the handler runs, no reply comes (a failing one neither), and the connection goes on.
            try await client.notify(message: "one")
            try await client.notify(message: "fail")
            #expect(try await client.ping(message: "after") == "after")
            #expect(await handler.notified.wait(for: 2) == ["one", "fail"])
        }
    }

    @Test func baseplateServiceFromTheFrameworkIDL() async throws {
        // idl/baseplate.thrift, compiled into this fixture (in `enum Baseplate`, as its namespace is
        // not this module), answers the V1 argument-less call as the V2 one.
        struct Health: Baseplate.BaseplateServiceV2Handler {
            func isHealthy(request: Baseplate.IsHealthyRequest, context: RequestContext) async throws -> Bool {
                request.probe != .startup
            }
        }
        let server = try ThriftServer(configuration: .init(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1),
                                      processor: Baseplate.BaseplateServiceV2Processor(handler: Health()),
                                      logger: Logger(label: "codegen-test"))
        try server.start()
        defer { server.shutdown(timeout: .seconds(2)) }
        let channel = try SocketChannel(port: server.port, framing: .theader, protocol: .compact)
        let v2 = Baseplate.BaseplateServiceV2Client(channel: channel)
        #expect(try await v2.isHealthy())
        #expect(try await v2.isHealthy(request: .init(probe: .readiness)))
        #expect(try await !v2.isHealthy(request: .init(probe: .startup)))
        #expect(try await Baseplate.BaseplateServiceClient(channel: channel).isHealthy())
    }

    @Test func unknownMethodOfAParentlessProcessor() async throws {
        // `Shared.Geometry` has no parent: an unknown method is nil, which the server answers
        // UNKNOWN_METHOD; its client then sees the TApplicationException.
        struct Geometry: Shared.GeometryHandler {
            func distanceSquared(a: Shared.Point, b: Shared.Point, context: RequestContext) async throws -> Int64 {
                let dx = Int64(a.x - b.x), dy = Int64(a.y - b.y)
                return dx * dx + dy * dy
            }
        }
        let server = try ThriftServer(configuration: .init(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1),
                                      processor: Shared.GeometryProcessor(handler: Geometry()),
                                      logger: Logger(label: "codegen-test"))
        try server.start()
        defer { server.shutdown(timeout: .seconds(2)) }
        let channel = try SocketChannel(port: server.port, framing: .framed, protocol: .binary)
        #expect(try await Shared.GeometryClient(channel: channel).distanceSquared(a: .init(x: 1, y: 1), b: .init(x: 4, y: 5)) == 25)
        let error = await #expect(throws: TApplicationException.self) { try await BaseServiceClient(channel: channel).ping(message: "x") }
        #expect(error?.code == .unknownMethod)
    }
}

/// Client-side checks against canned replies (no server).
@Suite struct ClientTests {
    /// Answers every call with a fixed reply built from the request's header.
    struct CannedChannel: ThriftChannel {
        var protocolKind: ThriftProtocolKind = .compact
        var reply: @Sendable (MessageHeader) -> [UInt8]

        func send(_ message: [UInt8], expectsReply: Bool) async throws -> [UInt8]? {
            let header = try message.withUnsafeBytes { raw in
                var r = CompactReader(raw)
                return try r.readMessageBegin()
            }
            return expectsReply ? reply(header) : nil
        }
    }

    static func replying(_ type: MessageType = .reply, name: String? = nil, seqid: Int32? = nil,
                         _ body: @escaping @Sendable (inout CompactWriter) -> Void) -> CannedChannel {
        CannedChannel { header in
            var w = CompactWriter()
            w.writeMessageBegin(MessageHeader(name: name ?? header.name, type: type, sequenceID: seqid ?? header.sequenceID))
            body(&w)
            return w.bytes
        }
    }

    @Test func emptyResultIsMissingResult() async throws {
        let client = EverythingClient(channel: Self.replying { $0.writeFieldStop() })
        let error = await #expect(throws: TApplicationException.self) { try await client.missingResult() }
        #expect(error == TApplicationException(.missingResult, "missing_result failed: unknown result"))
        // A void method has nothing to miss.
        try await client.nothing()
    }

    @Test func exceptionRepliesAndMismatchedReplies() async throws {
        let app = EverythingClient(channel: Self.replying(.exception) { TApplicationException(.unknownMethod, "nope").write(to: &$0) })
        await #expect(throws: TApplicationException(.unknownMethod, "nope")) { try await app.missingResult() }
        let wrongSeqid = EverythingClient(channel: Self.replying(seqid: 999) { $0.writeFieldStop() })
        let e1 = await #expect(throws: TApplicationException.self) { try await wrongSeqid.nothing() }
        #expect(e1?.code == .badSequenceID)
        let wrongName = EverythingClient(channel: Self.replying(name: "other") { $0.writeFieldStop() })
        let e2 = await #expect(throws: TApplicationException.self) { try await wrongName.nothing() }
        #expect(e2?.code == .wrongMethodName)
    }

    @Test func sequenceIdsIncrement() async throws {
        let seen = NotifyLog()
        let channel = CannedChannel { header in
            seen.append("\(header.sequenceID)")
            var w = CompactWriter()
            w.writeMessageBegin(MessageHeader(name: header.name, type: .reply, sequenceID: header.sequenceID))
            w.writeFieldStop()
            return w.bytes
        }
        let client = DerivedClient(channel: channel)
        for _ in 0..<3 { try await client.nothing() }
        try await client.notify(message: "x")
        try await client.nothing()
        #expect(seen.all == ["1", "2", "3", "5"])
    }
}
