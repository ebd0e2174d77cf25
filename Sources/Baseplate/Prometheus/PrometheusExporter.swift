import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// baseplate.py's Prometheus exporter (`baseplate/server/prometheus.py`): HTTP on
/// `0.0.0.0:6060`, `/metrics` in the text format, anything else `404 Not Found`.
///
/// It runs on a thread of its own with blocking sockets, never on the request loops. The port
/// is bound with SO_REUSEPORT, as baseplate.py binds it, so every worker process of a service
/// (Einhorn, several `baseplate-serve` on one port) binds it too; the kernel hands each scrape
/// to one of them, and with a shared multiprocess directory that one answers for all.
public final class PrometheusExporter: Sendable {
    public static let defaultPort = 6060
    public static let metricsPath = "/metrics"

    public struct Configuration: Sendable {
        public var host = "0.0.0.0"
        public var port = PrometheusExporter.defaultPort
        /// `PROMETHEUS_MULTIPROC_DIR`: where processes sharing the port meet. nil: this process
        /// serves its own values only.
        public var multiprocessDirectory: String?
        /// This process's id in the directory (`MULTIPROCESS_WORKER_ID`, else the pid).
        public var workerID = String(getpid())
        /// How often values are copied to the directory (other processes' scrapes see ours at
        /// most this late).
        public var flushInterval: Duration = .seconds(1)

        public init() {}

        /// From the environment: `PROMETHEUS_MULTIPROC_DIR` (or its old lower-case name),
        /// `MULTIPROCESS_WORKER_ID`, and `BASEPLATE_PROMETHEUS_PORT` (this server's own variable,
        /// for tests and for running services side by side; baseplate.py's port is fixed).
        public init(environment: [String: String]) throws(PrometheusError) {
            if let dir = environment["PROMETHEUS_MULTIPROC_DIR"] ?? environment["prometheus_multiproc_dir"] {
                multiprocessDirectory = dir
            }
            workerID = MultiprocessDirectory.workerID(environment: environment)
            if let text = environment["BASEPLATE_PROMETHEUS_PORT"] {
                guard let port = Int(text), (0...65535).contains(port) else {
                    throw PrometheusError("BASEPLATE_PROMETHEUS_PORT: not a port number: '\(text)'")
                }
                self.port = port
            }
        }
    }

    public let configuration: Configuration
    private let registry: MetricsRegistry
    private let listener: Int32
    private let logger: Logger
    private let state: Mutex<State>

    private struct State: ~Copyable {
        var directory: MultiprocessDirectory?
        var stopping = false
    }

    /// The port bound (the real one when configured with 0).
    public let port: Int

    /// Binds the listener (SO_REUSEPORT) and checks the multiprocess directory; nothing is
    /// served until `start`.
    public init(configuration: Configuration, registry: MetricsRegistry = .shared, logger: Logger) throws(PrometheusError) {
        self.configuration = configuration
        self.registry = registry
        self.logger = logger
        var directory: MultiprocessDirectory?
        if let path = configuration.multiprocessDirectory {
            var st = stat()
            guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR, access(path, W_OK) == 0 else {
                throw PrometheusError("PROMETHEUS_MULTIPROC_DIR is not set to a writeable directory: \(path)")
            }
            directory = MultiprocessDirectory(path: path, workerID: configuration.workerID)
        }
        state = Mutex(State(directory: directory))
        (listener, port) = try Self.bind(host: configuration.host, port: configuration.port)
        // Files exist from the start, so a scrape answered by another process counts this one
        // (its series at zero) before its first flush.
        try flush()
    }

    /// Serves scrapes on a new thread until `stop`.
    public func start() {
        let exporter = self
        BackgroundThread.start { exporter.run() }
        logger.info("Prometheus metrics exported on server listening on \(configuration.host):\(port)\(Self.metricsPath)")
    }

    /// Stops serving, writes the final values and marks this process's live gauges dead (as
    /// baseplate.py's `atexit` hook does).
    public func stop() {
        let directory = state.withLock { state -> MultiprocessDirectory? in
            state.stopping = true
            return state.directory
        }
        shutdown(listener, Int32(SHUT_RDWR))
        state.withLock { state in
            try? directory?.flush(registry)
            directory?.markDead()
            state.directory = nil  // no flush after this recreates the live gauges
        }
    }

    /// Copies the registry's values to this process's files (no-op without a directory).
    public func flush() throws(PrometheusError) {
        try state.withLock { (state) throws(PrometheusError) in
            try state.directory?.flush(registry)
        }
    }

    /// The text a scrape gets now.
    public func render() -> String {
        let sources: [Exposition.Source]
        do {
            sources = try state.withLock { (state) throws(PrometheusError) -> [Exposition.Source] in
                guard let directory = state.directory else {
                    return [Exposition.Source(pid: configuration.workerID, samples: registry.rawSamples())]
                }
                try directory.flush(registry)
                return directory.collect()
            }
        } catch {
            logger.error("Prometheus: cannot write metrics: \(error)")
            return Exposition.render(Exposition.merge([Exposition.Source(pid: configuration.workerID, samples: registry.rawSamples())]))
        }
        return Exposition.render(Exposition.merge(sources))
    }

    private func run() {
        var lastFlush = ContinuousClock.now
        let intervalMS = Int32(clamping: configuration.flushInterval.wholeMilliseconds)
        while true {
            if state.withLock({ $0.stopping }) { return }
            var pfd = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, max(intervalMS, 10))
            if ContinuousClock.now - lastFlush >= configuration.flushInterval {
                do { try flush() } catch { logger.error("Prometheus: cannot write metrics: \(error)") }
                lastFlush = .now
            }
            guard ready > 0 else { continue }
            if pfd.revents & Int16(POLLIN) == 0 { if state.withLock({ $0.stopping }) { return } else { continue } }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            serve(client)
            close(client)
        }
    }

    /// One request per connection (the response closes it). A client that sends nothing is
    /// dropped after a second, so it cannot hold the exporter up for long.
    private func serve(_ fd: Int32) {
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while request.count < 16384 {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return }
            request += chunk[0..<n]
            if containsHeaderEnd(request) { break }
        }
        let response: [UInt8]
        if let path = Self.requestPath(request), path == Self.metricsPath {
            response = Self.response(status: "200 OK", contentType: Exposition.contentType, body: Array(render().utf8))
        } else {
            response = Self.response(status: "404 Not Found", contentType: "text/plain", body: Array("Not Found".utf8))
        }
        var sent = 0
        while sent < response.count {
            let n = response[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    private func containsHeaderEnd(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return true
        }
        return false
    }

    /// The request line's path without its query string (WSGI's PATH_INFO), for any method.
    static func requestPath(_ request: [UInt8]) -> String? {
        guard let lineEnd = request.firstIndex(of: 13) ?? request.firstIndex(of: 10) else { return nil }
        let parts = request[..<lineEnd].split(separator: 32)
        guard parts.count >= 2 else { return nil }
        let target = String(decoding: parts[1], as: UTF8.self)
        return String(target.prefix { $0 != "?" })
    }

    static func response(status: String, contentType: String, body: [UInt8]) -> [UInt8] {
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + body
    }

    private static func bind(host: String, port: Int) throws(PrometheusError) -> (Int32, Int) {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &res) == 0, let ai = res else {
            throw PrometheusError("cannot resolve \(host)")
        }
        defer { freeaddrinfo(res) }
        let fd = socket(ai.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw PrometheusError("socket: \(errnoText())") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        guard Glibc.bind(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 else {
            let text = errnoText()
            close(fd)
            throw PrometheusError("cannot bind \(host):\(port): \(text)")
        }
        guard listen(fd, 128) == 0 else {
            let text = errnoText()
            close(fd)
            throw PrometheusError("cannot listen on \(host):\(port): \(text)")
        }
        var addr = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        } == 0 ? withUnsafeBytes(of: addr) { raw -> Int in
            // sin_port and sin6_port sit at the same offset, in network order.
            Int(UInt16(raw[2]) << 8 | UInt16(raw[3]))
        } : port
        return (fd, bound)
    }
}
