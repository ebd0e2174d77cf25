import CBaseplateIO
import Logging

/// A Thrift server: the C core's event loops, serving one processor.
///
/// Each loop owns its connections for their whole life; every request's handler runs as a task
/// on the loop that read it (see `LoopExecutor`). The server speaks every Thrift dialect the C
/// core detects and answers each request in the dialect it came in.
public final class ThriftServer: @unchecked Sendable {
    // @unchecked: the loops are used through thread-safe C calls (start/stop/shutdown/join) only.

    /// Where and how to listen.
    public struct Configuration: Sendable {
        public enum Listener: Sendable, Equatable {
            case tcp(host: String, port: Int)
            case unix(path: String)
            /// An already-listening socket (Einhorn, systemd socket activation).
            case fileDescriptor(Int32)
        }

        public var listener: Listener
        /// Event loops (threads). nil: one per CPU this process may run on.
        public var ioThreads: Int?
        /// Frames larger than this close the connection.
        public var maxFrameSize: Int = 16 * 1024 * 1024
        /// Stop reading a connection whose unsent replies exceed this.
        public var maxPendingOutput: Int = 4 * 1024 * 1024
        public var backlog: Int = 1024
        /// Open connections at most; at the limit the server stops accepting, so further
        /// connections wait in the listen backlog. nil: no limit.
        public var maxConcurrency: Int?
        /// Input and output buffered across all connections; above it accepting pauses and the
        /// connections holding the most are closed. nil: no limit.
        public var maxBufferedBytes: Int? = 256 * 1024 * 1024
        /// A connection holding part of a request that receives no bytes for this long is
        /// closed. nil: never.
        public var readTimeout: Duration? = .seconds(10)

        public init(listener: Listener, ioThreads: Int? = nil) {
            self.listener = listener
            self.ioThreads = ioThreads
        }
    }

    public let configuration: Configuration
    /// Internal, not private: tests look at the loops' handler workers.
    let loops: LoopGroup

    /// The service's observers, context factories and timeouts (nil: no spans or deadlines).
    public let baseplate: BaseplateApp?

    /// Binds the listener(s); nothing is served until `start`. With a `baseplate`, every
    /// request gets a server span, its observers and its deadline.
    public init(configuration: Configuration, processor: any ThriftProcessor, baseplate: BaseplateApp? = nil,
                logger: Logger) throws {
        self.baseplate = baseplate
        self.configuration = configuration
        var config = bpio_server_config()
        config.listen_fd = -1
        config.io_threads = UInt32(configuration.ioThreads ?? 0)
        config.max_frame_size = configuration.maxFrameSize
        config.max_pending_output = configuration.maxPendingOutput
        config.backlog = Int32(configuration.backlog)
        config.max_concurrency = UInt32(clamping: configuration.maxConcurrency ?? 0)
        config.max_buffered_bytes = max(1, configuration.maxBufferedBytes ?? Int.max)
        config.read_timeout_ms = configuration.readTimeout.map { UInt32(clamping: max(1, $0.wholeMilliseconds)) } ?? 0
        switch configuration.listener {
        case .tcp(let host, let port):
            loops = try host.withCString { h in
                config.host = h
                config.port = Int32(port)
                return try LoopGroup(config: &config, processor: processor, baseplate: baseplate, logger: logger)
            }
        case .unix(let path):
            loops = try path.withCString { p in
                config.unix_path = p
                return try LoopGroup(config: &config, processor: processor, baseplate: baseplate, logger: logger)
            }
        case .fileDescriptor(let fd):
            config.listen_fd = fd
            loops = try LoopGroup(config: &config, processor: processor, baseplate: baseplate, logger: logger)
        }
    }

    private var server: OpaquePointer { loops.server }

    /// The TCP port bound (the real one when configured with port 0).
    public var port: Int { Int(bpio_server_port(server)) }
    /// Each loop's published counters (runtime monitor).
    var loopStats: [LoopStats] { loops.contexts.map(\.stats) }
    /// Wakes every loop (the blocked-loop watchdog tells idle from stuck this way).
    func wakeLoops() {
        for context in loops.contexts { bpio_loop_wake(context.loop) }
    }

    /// How many event loops serve.
    public var loopCount: Int { loops.contexts.count }

    /// Starts the loop threads.
    public func start() throws {
        try loops.start()
    }

    /// Logs, at WARNING, each loop's requests in flight (method and age). Each loop logs its own
    /// from its thread, so a loop stuck in a blocking handler shows by its silence.
    public func logRequestsInFlight() {
        for context in loops.contexts {
            Task(executorPreference: context.executor) { context.logInFlight() }
        }
    }

    /// Closes the listeners; open connections keep being served.
    public func stopAccepting() {
        bpio_server_stop_accepting(server)
    }

    /// Finishes every request already read, closes connections, and stops the loops, waiting at
    /// most `timeout` for busy connections. Blocks until the loops have exited.
    public func shutdown(timeout: Duration) {
        bpio_server_shutdown(server, UInt32(clamping: timeout.wholeMilliseconds))
        bpio_server_join(server)
    }
}

/// A server that could not be set up (bind failure, bad listener).
public struct ServerError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Where one server's C core log lines go: its own logger. Each `LoopGroup` passes its sink
/// to the C core, so a second server (or the client loop, started on first use) in the same
/// process does not take over the first one's lines.
final class ServerLog: Sendable {
    /// The logger of requests made outside any server loop (tests, scripts).
    static let fallback = Logger(label: "baseplate.server")

    let logger: Logger

    init(_ logger: Logger) { self.logger = logger }

    func log(level: Int32, message: UnsafePointer<CChar>?) {
        guard let message else { return }
        let text = String(cString: message)
        switch level {
        case Int32(BPIO_LOG_DEBUG): logger.debug("\(text)")
        case Int32(BPIO_LOG_INFO): logger.info("\(text)")
        case Int32(BPIO_LOG_WARNING): logger.warning("\(text)")
        default: logger.error("\(text)")
        }
    }
}
