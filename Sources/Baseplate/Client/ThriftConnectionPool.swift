import CBaseplateIO
import Synchronization

/// Connections to one Thrift service, reused across calls (baseplate.py's
/// `ThriftConnectionPool`): THeader + compact, a slot per call, stale connections replaced,
/// connects retried. A `ThriftChannel`, so a generated client can call through it directly;
/// `ThriftClientFactory` adds spans and trace headers per request.
///
/// Each event loop has its own connections (up to `size`), used only by that loop's thread:
/// a handler's call never leaves its loop and takes no lock.
public final class ThriftConnectionPool: ThriftChannel, Sendable {
    public let configuration: Configuration
    /// Names the pool in metrics (`thrift_pool`).
    public let name: String
    public var protocolKind: ThriftProtocolKind { .compact }

    public init(_ configuration: Configuration, name: String = "") {
        self.configuration = configuration
        self.name = name.isEmpty ? configuration.endpoint.description : name
    }

    public func send(_ message: [UInt8], expectsReply: Bool) async throws -> [UInt8]? {
        try await call(message, headers: ThriftHeaders.outgoing, timeout: configuration.timeout, expectsReply: expectsReply)
    }

    /// One call on a checked-out connection of the current loop (or the shared client loop).
    func call(_ message: [UInt8], headers: ThriftHeaders?, timeout: Duration, expectsReply: Bool = true) async throws -> [UInt8]? {
        if let loop = LoopGroup.current {
            return try await loop.pool(for: self).call(message, headers: headers, timeout: timeout, expectsReply: expectsReply)
        }
        let loop = LoopGroup.clients.contexts[0]
        return try await withTaskExecutorPreference(loop.executor) {
            try await loop.pool(for: self).call(message, headers: headers, timeout: timeout, expectsReply: expectsReply)
        }
    }

    /// Connections checked out right now, over all loops (for runtime metrics).
    public var connectionsInUse: Int { inUse.load(ordering: .relaxed) }
    let inUse = Atomic<Int>(0)
}

extension LoopContext {
    func pool(for pool: ThriftConnectionPool) -> LoopPool {
        let key = ObjectIdentifier(pool)
        if let local = clientPools[key] { return local }
        let local = LoopPool(pool, loop: self)
        clientPools[key] = local
        return local
    }
}

/// One pool's connections on one loop; loop thread only.
final class LoopPool {
    private struct Idle {
        var connection: ThriftConnection
        var created: ContinuousClock.Instant
    }

    private let configuration: ThriftConnectionPool.Configuration
    private let pool: ThriftConnectionPool
    private let loop: LoopContext
    private var idle: [Idle] = []
    private var idleHead = 0
    private var inUse = 0
    private var waiters: [Waiter] = []

    /// thrift_client_pool_max_size / _active_connections{thrift_pool=<name>}: the pool's size
    /// summed over the loops that use it, and the connections checked out.
    private let gauges: (maxSize: Gauge, activeConnections: Gauge)

    init(_ pool: ThriftConnectionPool, loop: LoopContext) {
        self.configuration = pool.configuration
        self.pool = pool
        self.loop = loop
        gauges = ThriftClientMetrics.shared.pool(pool.name)
        gauges.maxSize.inc(Double(pool.configuration.size))
    }

    func call(_ message: [UInt8], headers: ThriftHeaders?, timeout: Duration, expectsReply: Bool) async throws -> [UInt8]? {
        try await takeSlot()
        defer { releaseSlot() }
        var attempts = 0
        while true {
            attempts += 1
            let (connection, created) = freshConnection()
            do {
                let reply: [UInt8]?
                if expectsReply {
                    reply = try await connection.sendOnLoop(message, headers: headers, timeout: timeout)
                } else {
                    reply = try await connection.send(message, expectsReply: false)
                }
                putBack(Idle(connection: connection, created: created))
                return reply
            } catch let error as TTransportException {
                connection.closeOnLoop()
                throw error
            } catch {
                connection.closeOnLoop()
                // A connection that never answered and failed as a connect fails: try again.
                if connection.repliesReceived == 0, Self.isConnectFailure(error) {
                    if attempts < configuration.maxConnectionAttempts { continue }
                    throw TTransportException(.notOpen, "giving up after multiple attempts to connect")
                }
                throw TTransportException(Self.isPeerClose(error) ? .endOfFile : .unknown, "\(error)")
            }
        }
    }

    /// An open idle connection young enough to use, else a new one (stale ones are closed).
    private func freshConnection() -> (ThriftConnection, ContinuousClock.Instant) {
        let now = ContinuousClock.now
        while idleHead < idle.count {
            let entry: Idle
            if configuration.fifo {
                entry = idle[idleHead]
                idleHead += 1
            } else {
                entry = idle.removeLast()
            }
            if idleHead == idle.count { idle.removeAll(keepingCapacity: true); idleHead = 0 }
            if entry.connection.isOpen, now - entry.created <= configuration.maxAge {
                return (entry.connection, entry.created)
            }
            entry.connection.closeOnLoop()
        }
        let endpoint: ThriftConnection.Endpoint = switch configuration.endpoint {
        case .inet(let host, let port): .tcp(host: host, port: port)
        case .unix(let path): .unix(path: path)
        }
        return (ThriftConnection(endpoint: endpoint, dialect: .header(.compact), loop: loop), now)
    }

    private func putBack(_ entry: Idle) {
        idle.append(entry)
    }

    private static func isConnectFailure(_ error: any Error) -> Bool {
        let text = "\(error)"
        return ["Connection refused", "No such file or directory", "Network is unreachable", "No route to host",
                "cannot resolve", "connect "].contains { text.contains($0) }
    }

    private static func isPeerClose(_ error: any Error) -> Bool {
        "\(error)".contains("closed by peer")
    }

    // MARK: slots

    private final class Waiter {
        var continuation: CheckedContinuation<Void, any Error>?
        var timer: OpaquePointer?
        unowned(unsafe) var owner: LoopPool?
    }

    private func takeSlot() async throws {
        if inUse < configuration.size {
            inUse += 1
            pool.inUse.add(1, ordering: .relaxed)
            gauges.activeConnections.inc()
            return
        }
        let waiter = Waiter()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            waiter.continuation = continuation
            waiter.timer = bpio_timer_new(loop.loop, { arg in
                let waiter = Unmanaged<Waiter>.fromOpaque(arg!).takeUnretainedValue()
                waiter.owner?.waiters.removeAll { $0 === waiter }
                waiter.continuation?.resume(throwing: TTransportException(.notOpen, "timed out waiting for a connection slot"))
                waiter.continuation = nil
                bpio_timer_free(waiter.timer)  // safe in its own callback: nothing touches it after
                waiter.timer = nil
            }, Unmanaged.passUnretained(waiter).toOpaque())
            waiter.owner = self
            bpio_timer_arm(waiter.timer, configuration.timeout.seconds)
            waiters.append(waiter)
        }
        // Woken by releaseSlot: the slot was handed over (inUse unchanged).
    }

    private func releaseSlot() {
        while !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            bpio_timer_free(waiter.timer)
            waiter.timer = nil
            if let continuation = waiter.continuation {
                waiter.continuation = nil
                continuation.resume()
                return
            }
        }
        inUse -= 1
        pool.inUse.subtract(1, ordering: .relaxed)
        gauges.activeConnections.dec()
    }
}
