import Baseplate
import ExampleService
import Logging
import Testing

/// The example service through its generated client, over the real server, in the dialect
/// baseplate clients speak and in plain framed binary.
@Suite(.serialized) struct ExampleServiceTests {
    @Test(arguments: [ThriftConnection.Dialect.header(.compact), .framed(.binary)])
    func everyMethod(_ dialect: ThriftConnection.Dialect) async throws {
        let server = try ThriftServer(
            configuration: .init(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1),
            processor: try makeProcessor(appConfig: [:]), logger: Logger(label: "test"))
        try server.start()
        defer { server.shutdown(timeout: .seconds(2)) }
        let connection = ThriftConnection(endpoint: .tcp(host: "127.0.0.1", port: server.port), dialect: dialect)
        let client = ExampleServiceClient(channel: connection)

        let greeting = try await client.greet(names: ["Ada", "Grace"], tone: .formal)
        #expect(greeting == Greeting(text: "Good day, Ada and Grace!", tone: .formal,
                                     recipients: ["Ada", "Grace"], counts: ["Ada": 1, "Grace": 1]))
        await #expect(throws: TooManyRecipients(limit: 8)) {
            _ = try await client.greet(names: Array(repeating: "x", count: 9), tone: nil)
        }
        try await client.record(contact: .email("ada@example.com"))
        try await client.record(contact: .phone(5551234))
        #expect(try await client.contacts() == [.email("ada@example.com"), .phone(5551234)])
        // Inherited from BaseplateServiceV2, answered by the framework's default.
        #expect(try await client.isHealthy(request: IsHealthyRequest(probe: .readiness)))
        await connection.close()
    }
}
