import CBaseplateIO
import Synchronization

/// What one event loop publishes for the runtime monitor, readable from any thread: counters the
/// loop stores once per drain round (plain relaxed stores: only the loop writes them), and,
/// when the blocked-loop watchdog is on, its requests in flight (under a lock; off by default,
/// so requests pay nothing for it).
final class LoopStats: Sendable {
    /// Drain rounds run: a loop that stops counting is stuck in one job (or asleep, which the
    /// watchdog rules out by waking it).
    let rounds = Atomic<UInt64>(0)
    let connections = Atomic<Int>(0)
    let inFlight = Atomic<Int>(0)
    /// Set before the loop starts (the watchdog is configured first), read-only afterwards.
    @exclusivity(unchecked) nonisolated(unsafe) var tracksRequests = false
    private let requests = Mutex<[RequestInFlight]>([])

    /// Called by the loop at each drain round.
    func publish(connections: Int, inFlight: Int) {
        rounds.store(rounds.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        self.connections.store(connections, ordering: .relaxed)
        self.inFlight.store(inFlight, ordering: .relaxed)
    }

    func track(_ context: RequestContext) {
        guard tracksRequests else { return }
        let entry = RequestInFlight(id: ObjectIdentifier(context), method: context.method, traceID: context.traceID, startTime: context.startTime)
        requests.withLock { $0.append(entry) }
    }

    func untrack(_ context: RequestContext) {
        guard tracksRequests else { return }
        let id = ObjectIdentifier(context)
        requests.withLock { list in
            if let i = list.lastIndex(where: { $0.id == id }) { list.remove(at: i) }
        }
    }

    /// The loop's requests in flight, oldest first (from any thread).
    var requestsInFlight: [RequestInFlight] { requests.withLock { $0 } }
}

/// A request as the watchdog names it.
struct RequestInFlight: Sendable {
    let id: ObjectIdentifier
    let method: String
    let traceID: String
    let startTime: ContinuousClock.Instant
}

extension ThriftServer {
    /// Open connections over all loops (as last published; at most one loop iteration old).
    public var openConnections: Int {
        loopStats.reduce(0) { $0 + $1.connections.load(ordering: .relaxed) }
    }

    /// Requests read and not yet answered, over all loops.
    public var activeRequests: Int {
        loopStats.reduce(0) { $0 + $1.inFlight.load(ordering: .relaxed) }
    }
}
