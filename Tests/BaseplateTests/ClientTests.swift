@testable import Baseplate
import Logging
import Testing
import TestSupport

/// ThriftConnection (the C core's outbound connections) against our server and Apache's C++ one.
@Suite(.serialized) struct ClientTests {
    static let dialects: [ThriftConnection.Dialect] = [
        .header(.compact), .header(.binary), .framed(.binary), .framed(.compact),
        .unframed(.binary), .unframed(.compact),
    ]

    func echo(_ conn: ThriftConnection, _ ids: ThriftClientCall.SequenceIDs, _ value: String) async throws -> String {
        try await ThriftClientCall.call("echo", args: StringArg(value: value), result: StringArg.self,
                                        channel: conn, sequenceIDs: ids).value
    }

    @Test(arguments: dialects)
    func everyDialectAgainstOurServer(_ dialect: ThriftConnection.Dialect) async throws {
        try await withServer { (port: Int) async throws in
            let conn = ThriftConnection(endpoint: .tcp(host: "127.0.0.1", port: port), dialect: dialect)
            let ids = ThriftClientCall.SequenceIDs()
            #expect(try await echo(conn, ids, "one") == "one")
            #expect(try await echo(conn, ids, "two") == "two")
            await conn.close()
        }
    }

    @Test func concurrentCallsArePipelinedAndMatched() async throws {
        try await withServer { (port: Int) async throws in
            let conn = ThriftConnection(endpoint: .tcp(host: "127.0.0.1", port: port))
            let ids = ThriftClientCall.SequenceIDs()
            try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for i in 0..<50 {
                    group.addTask { (i, try await echo(conn, ids, "v\(i)")) }
                }
                for try await (i, v) in group { #expect(v == "v\(i)") }
            }
            await conn.close()
        }
    }

    @Test func headersTravelWithTheCall() async throws {
        try await withServer { (port: Int) async throws in
            let conn = ThriftConnection(endpoint: .tcp(host: "127.0.0.1", port: port))
            let ids = ThriftClientCall.SequenceIDs()
            let got = try await ThriftHeaders.$outgoing.withValue(ThriftHeaders([("Trace", Array("42".utf8))])) {
                try await ThriftClientCall.call("headers", args: StringArg(value: "trace"), result: StringArg.self,
                                                channel: conn, sequenceIDs: ids).value
            }
            #expect(got == "42")
            await conn.close()
        }
    }

    @Test func serverErrorsSurfaceAsTApplicationException() async throws {
        try await withServer { (port: Int) async throws in
            let conn = ThriftConnection(endpoint: .tcp(host: "127.0.0.1", port: port))
            let ids = ThriftClientCall.SequenceIDs()
            await #expect(throws: TApplicationException(.unknownMethod, "Unknown function nope")) {
                try await ThriftClientCall.call("nope", args: StringArg(value: ""), result: StringArg.self,
                                                channel: conn, sequenceIDs: ids)
            }
            #expect(try await echo(conn, ids, "after") == "after")
            await conn.close()
        }
    }

    @Test func refusedConnectionFailsTheCall() async throws {
        let conn = ThriftConnection(endpoint: .tcp(host: "127.0.0.1", port: 1))
        await #expect(throws: ThriftClientError.self) {
            _ = try await echo(conn, ThriftClientCall.SequenceIDs(), "x")
        }
    }

    /// Apache's C++ server (THeader auto-detection) answers our client in every dialect.
    @Test(arguments: dialects)
    func againstCppServer(_ dialect: ThriftConnection.Dialect) async throws {
        let server = try PeerServer("cpp_server", ["0"])
        let port = try #require(server.port, "cpp_server said: \(server.firstLine)")
        let conn = ThriftConnection(endpoint: .tcp(host: "127.0.0.1", port: port), dialect: dialect)
        let ids = ThriftClientCall.SequenceIDs()
        var args = BaseplateServiceV2IsHealthyArgs()
        args.request = IsHealthyRequest(probe: .readiness)
        let ok = try await ThriftClientCall.call("is_healthy", args: args, result: BaseplateServiceV2IsHealthyResult.self,
                                                 channel: conn, sequenceIDs: ids)
        #expect(ok.success == true)
        args.request = IsHealthyRequest(probe: .startup)  // cpp_server answers false for STARTUP
        let startup = try await ThriftClientCall.call("is_healthy", args: args, result: BaseplateServiceV2IsHealthyResult.self,
                                                      channel: conn, sequenceIDs: ids)
        #expect(startup.success == false)
        await conn.close()
    }

    private func withServer(_ body: (Int) async throws -> Void) async throws {
        let server = try ThriftServer(
            configuration: .init(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1),
            processor: TestProcessor(), logger: Logger(label: "test"))
        try server.start()
        try await body(server.port)
        server.shutdown(timeout: .seconds(2))
    }
}
