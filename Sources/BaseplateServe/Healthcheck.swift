import ArgumentParser
import Baseplate
#if canImport(Glibc)
import Glibc
#endif

/// `baseplate-healthcheck`: asks a service whether it is healthy, with baseplate.py's output and
/// exit codes (`OK!` and 0; a message on stderr and 1).
public enum BaseplateHealthcheck {
    public static func main() async {
        await HealthcheckCommand.main()
    }
}

struct HealthcheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseplate-healthcheck",
        abstract: "Check the health of a baseplate service.")

    enum Kind: String, ExpressibleByArgument, CaseIterable { case thrift, wsgi }
    enum Probe: String, ExpressibleByArgument, CaseIterable {
        case readiness, liveness, startup
        var request: IsHealthyProbe {
            switch self {
            case .readiness: .readiness
            case .liveness: .liveness
            case .startup: .startup
            }
        }
    }

    @Option(help: "The probe to check.") var probe: Probe = .readiness
    @Argument(help: "The protocol of the service.") var type: Kind
    @Argument(help: "host:port or a UNIX socket path.") var endpoint: String

    /// baseplate.py's timeout for the whole check.
    static let timeout: Duration = .seconds(30)

    func run() async throws {
        do {
            let target = try Endpoint(parsing: endpoint)
            let healthy = try await Self.withTimeout {
                switch type {
                case .thrift: try await checkThrift(target)
                case .wsgi: try await checkHTTP(target)
                }
            }
            guard healthy else {
                // baseplate.py asserts with this text; probes are reported by number.
                throw CheckFailed(message: "AssertionError: service indicated unhealthiness in probe \(probe.request.rawValue)")
            }
            print("OK!")
        } catch let failed as CheckFailed {
            writeError(failed.message)
            throw ExitCode(1)
        } catch let error as ExitCode {
            throw error
        } catch {
            writeError("\(Swift.type(of: error)): \(error)")
            throw ExitCode(1)
        }
    }

    private func checkThrift(_ target: Endpoint) async throws -> Bool {
        let connection = ThriftConnection(endpoint: {
            switch target {
            case .inet(let host, let port): .tcp(host: host, port: port)
            case .unix(let path): .unix(path: path)
            }
        }())
        defer { Task { await connection.close() } }
        return try await BaseplateServiceV2Client(channel: connection)
            .isHealthy(request: IsHealthyRequest(probe: probe.request))
    }

    /// GET /health?type=N; healthy when the status is 2xx and the body is JSON.
    private func checkHTTP(_ target: Endpoint) async throws -> Bool {
        let (status, body) = try HTTPGet.get(target, path: "/health?type=\(probe.request.rawValue)")
        guard (200..<300).contains(status) else {
            throw CheckFailed(message: "HTTPError: \(status) for /health?type=\(probe.request.rawValue)")
        }
        do {
            try JSONSyntax.check(body)
        } catch {
            throw CheckFailed(message: error.description)
        }
        return true
    }

    static func withTimeout<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let result = try await group.next(), let value = result else {
                throw CheckFailed(message: "TimeoutError: no answer within \(timeout)")
            }
            return value
        }
    }
}

struct CheckFailed: Error {
    var message: String
}

/// One line on standard error (fd 2, unbuffered: the process exits right after).
func writeError(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}
