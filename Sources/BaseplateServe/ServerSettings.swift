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

    /// Keys this server reads.
    static let implemented: Set<String> = [
        "factory", "stop_timeout", "drain_time", "io_threads", "max_frame_size",
    ]
    /// baseplate.py's Thrift server keys that are accepted but not acted on yet.
    static let notYetImplemented: Set<String> = [
        "metrics.enabled", "monitoring.concurrency", "monitoring.connection_pool",
        "monitoring.blocked_hub", "monitoring.gc.stats", "monitoring.gc.timing",
        "monitoring.gc.refcycle",
    ]

    init(_ section: [String: String], logger: Logger) throws {
        for key in section.keys.sorted() where !Self.implemented.contains(key) {
            if Self.notYetImplemented.contains(key) {
                logger.warning("[server] key '\(key)' is not implemented by this server yet; ignored")
            } else if key == "max_concurrency" {
                throw StartupError(message: "The max_concurrency setting is not allowed for Thrift servers.", code: 1)
            } else {
                let valid = Self.implemented.union(Self.notYetImplemented).sorted().joined(separator: ", ")
                throw StartupError(message: "unknown [server] key '\(key)'; valid keys: \(valid)", code: 1)
            }
        }
        if let v = section["io_threads"] {
            guard let n = Int(v), n > 0 else { throw StartupError(message: "io_threads: invalid integer '\(v)'", code: 1) }
            ioThreads = n
        }
        if let v = section["max_frame_size"] {
            guard let n = Int(v), n > 0 else { throw StartupError(message: "max_frame_size: invalid integer '\(v)'", code: 1) }
            maxFrameSize = n
        }
        if let v = section["drain_time"] {
            drainTime = try Self.timespan("drain_time", v, legacySeconds: false)
        }
        if let v = section["stop_timeout"] {
            stopTimeout = try Self.timespan("stop_timeout", v, legacySeconds: true)
        }
    }

    /// `N unit` (ms, s, min, h, d; singular or plural), or bare seconds where baseplate.py
    /// accepts the legacy form (stop_timeout).
    static func timespan(_ key: String, _ text: String, legacySeconds: Bool) throws -> Duration {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        if legacySeconds, parts.count == 1, let seconds = Double(parts[0]), seconds >= 0 {
            return .milliseconds(Int64(seconds * 1000))
        }
        guard parts.count == 2, let n = Int64(parts[0]), n >= 0 else {
            throw StartupError(message: "\(key): invalid timespan '\(text)'", code: 1)
        }
        switch parts[1].lowercased() {
        case "millisecond", "milliseconds", "ms": return .milliseconds(n)
        case "second", "seconds", "s", "sec", "secs": return .seconds(n)
        case "minute", "minutes", "min", "mins": return .seconds(n * 60)
        case "hour", "hours", "h": return .seconds(n * 3600)
        case "day", "days", "d": return .seconds(n * 86400)
        default: throw StartupError(message: "\(key): invalid timespan '\(text)'", code: 1)
        }
    }
}
