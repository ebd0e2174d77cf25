import Synchronization

/// Where the process is in its life, as baseplate.py's `SERVER_STATE`: applications read it to
/// fail readiness probes while shutting down, so load balancers stop sending traffic before the
/// listener closes.
public enum ServerLifecycle: Int, Sendable {
    case running = 0
    case shuttingDown = 1
}

/// The process-wide server state.
public enum ServerState {
    private static let value = Atomic<Int>(ServerLifecycle.running.rawValue)

    public static var state: ServerLifecycle {
        ServerLifecycle(rawValue: value.load(ordering: .acquiring)) ?? .running
    }

    /// Set by baseplate-serve when a shutdown signal arrives.
    public static func set(_ state: ServerLifecycle) {
        value.store(state.rawValue, ordering: .releasing)
    }
}

extension BaseplateServiceV2Handler {
    /// The framework's health check: healthy while running; while shutting down, READINESS
    /// fails (so traffic drains away) and LIVENESS and STARTUP still pass (so nothing restarts
    /// the process mid-drain).
    public func isHealthy(request: IsHealthyRequest, context: RequestContext) async throws -> Bool {
        switch request.probe ?? .readiness {
        case .readiness: ServerState.state == .running
        default: true
        }
    }
}
