import Baseplate
import Logging

/// The `[server:*]` section of a Thrift server, checked as strictly as uWSGI's `strict`: a key
/// neither baseplate.py nor this server knows is an error (a typo would otherwise be silently
/// ignored); a baseplate.py key this server does not implement yet is a warning.
struct ServerSettings {
    var ioThreads: Int?
    var maxFrameSize = 16 * 1024 * 1024
    var drainTime: Duration = .seconds(5)
    var stopTimeout: Duration = .seconds(10)
    var runtimeMonitor = RuntimeMonitorSettings()
    var maxConcurrency: Int?
    var maxBufferedBytes: Int? = 256 * 1024 * 1024
    var readTimeout: Duration? = .seconds(10)

    /// Keys this server reads.
    static let implemented: Set<String> = Set([
        "factory", "stop_timeout", "drain_time", "io_threads", "max_frame_size",
        "max_concurrency", "max_buffered_bytes", "read_timeout",
    ]).union(RuntimeMonitorSettings.keys)
    /// baseplate.py's Thrift server keys that are accepted but not acted on yet.
    /// (`monitoring.gc.timing` and `.refcycle` time and dump Python's garbage collector.)
    static let notYetImplemented: Set<String> = [
        "monitoring.gc.timing", "monitoring.gc.refcycle",
    ]

    init(_ section: [String: String], inherited: Set<String> = [], logger: Logger) throws {
        for key in section.keys.sorted() where !Self.implemented.contains(key) && !inherited.contains(key) {
            if Self.notYetImplemented.contains(key) {
                logger.warning("[server] key '\(key)' is not implemented by this server yet; ignored")
            } else {
                let valid = Self.implemented.union(Self.notYetImplemented).sorted().joined(separator: ", ")
                throw StartupError(message: "unknown [server] key '\(key)'; valid keys: \(valid)", code: 1)
            }
        }
        do {
            (ioThreads, maxFrameSize, drainTime, stopTimeout) = try parseConfig(section) { c in
                (try c("io_threads", .optional(.integer)),
                 try c("max_frame_size", .optional(.integer, default: 16 * 1024 * 1024)),
                 try c("drain_time", .optional(.timespan, default: .seconds(5))),
                 try c("stop_timeout", .optional(.timespanWithLegacyFallback, default: .seconds(10))))
            }
            runtimeMonitor = try RuntimeMonitorSettings(serverConfig: section)
            // Limits (0 or `infinite`: none). baseplate.py rejects max_concurrency for Thrift
            // servers; here it bounds open connections (the rest wait in the listen backlog).
            let (concurrency, buffered, timeout) = try parseConfig(section) { c in
                (try c("max_concurrency", .optional(.integer, default: 0)),
                 try c("max_buffered_bytes", .optional(.integer, default: 256 * 1024 * 1024)),
                 try c("read_timeout", .optional(.timespanOrInfinite, default: .finite(.seconds(10)))))
            }
            maxConcurrency = concurrency > 0 ? concurrency : nil
            maxBufferedBytes = buffered > 0 ? buffered : nil
            readTimeout = timeout.duration.flatMap { $0 > .zero ? $0 : nil }
            if concurrency < 0 || buffered < 0 {
                throw StartupError(message: "[server] max_concurrency and max_buffered_bytes: must not be negative", code: 1)
            }
        } catch let error as ConfigurationError {
            throw StartupError(message: "[server] \(error)", code: 1)
        }
        if let n = ioThreads, n < 1 { throw StartupError(message: "[server] io_threads: must be at least 1", code: 1) }
        guard maxFrameSize > 0 else { throw StartupError(message: "[server] max_frame_size: must be positive", code: 1) }
    }

    /// Copies the settings into the server's configuration.
    func apply(to config: inout ThriftServer.Configuration) {
        config.ioThreads = ioThreads
        config.maxFrameSize = maxFrameSize
        config.maxConcurrency = maxConcurrency
        config.maxBufferedBytes = maxBufferedBytes
        config.readTimeout = readTimeout
    }
}
