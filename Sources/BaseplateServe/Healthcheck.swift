import Baseplate
#if canImport(Glibc)
import Glibc
#endif

/// `baseplate-healthcheck`: asks a service whether it is healthy, with baseplate.py's output and
/// exit codes (`OK!` and 0; a message on stderr and 1).
public enum BaseplateHealthcheck {
    public static func main() async {
        let command = HealthcheckCommand(HealthcheckCommand.Syntax.command.parseCommandLine())
        exit(await command.run())
    }
}

struct HealthcheckCommand {
    enum Kind: String, CaseIterable { case thrift, wsgi }
    enum Probe: String, CaseIterable {
        case readiness, liveness, startup
        var request: IsHealthyProbe {
            switch self {
            case .readiness: .readiness
            case .liveness: .liveness
            case .startup: .startup
            }
        }
    }

    enum Syntax {
        static let probe = CommandSyntax.Option.value(
            "--probe", default: Probe.readiness.rawValue, choices: Probe.allCases.map(\.rawValue),
            help: "The probe to check.")
        static let type = CommandSyntax.Positional(
            name: "type", choices: Kind.allCases.map(\.rawValue), help: "The protocol of the service.")
        static let endpoint = CommandSyntax.Positional(
            name: "endpoint", type: .endpoint, help: "host:port or a UNIX socket path.")
        static let command = CommandSyntax(
            program: "baseplate-healthcheck", description: "Check the health of a baseplate service.",
            options: [probe], positionals: [type, endpoint])
    }

    var probe: Probe
    var type: Kind
    var endpoint: String

    /// The parser has checked the choices, so the raw values are valid.
    init(_ arguments: ParsedArguments) {
        probe = Probe(rawValue: arguments[Syntax.probe])!
        type = Kind(rawValue: arguments[Syntax.type])!
        endpoint = arguments[Syntax.endpoint]
    }

    /// baseplate.py's timeout for the whole check.
    static let timeout: Duration = .seconds(30)

    /// Runs the check; returns the exit status.
    func run() async -> Int32 {
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
            return 0
        } catch let failed as CheckFailed {
            writeError(failed.message)
            return 1
        } catch {
            writeError("\(Swift.type(of: error)): \(error)")
            return 1
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
