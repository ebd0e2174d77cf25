import CBaseplateIO
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The server section's runtime-monitor keys (baseplate.py's `runtime_monitor.start`).
public struct RuntimeMonitorSettings: Sendable, Equatable {
    /// `metrics.enabled` (default true): false switches the monitor off.
    public var metricsEnabled = true
    /// `monitoring.concurrency` (default true): gauges `open_connections`, `active_requests`.
    public var concurrency = true
    /// `monitoring.connection_pool` (default false): context objects that are
    /// `RuntimeMetricsReporter`s report, tagged `client=<name>`.
    public var connectionPool = false
    /// `monitoring.blocked_hub` (Timespan, default off): a loop that does not come round within
    /// this long is logged with its requests in flight and timed as `hub_blocked`.
    public var blockedLoop: Duration?
    /// `monitoring.gc.stats` (default true), reused for this server's memory gauges
    /// `memory.rss` and `memory.heap` (bytes) in place of Python's garbage-collector counts:
    /// the switch that turns the process-health gauges off keeps doing so.
    public var memory = true

    /// The keys read here.
    public static let keys: Set<String> = [
        "metrics.enabled", "monitoring.concurrency", "monitoring.connection_pool", "monitoring.blocked_hub",
        "monitoring.gc.stats",
    ]

    public init() {}

    /// - Throws: ``ConfigurationError`` naming the key.
    public init(serverConfig: [String: String]) throws {
        (metricsEnabled, concurrency, connectionPool, blockedLoop, memory) = try parseConfig(serverConfig) { c in
            (try c("metrics.enabled", .optional(.boolean, default: true)),
             try c("monitoring.concurrency", .optional(.boolean, default: true)),
             try c("monitoring.connection_pool", .optional(.boolean, default: false)),
             try c("monitoring.blocked_hub", .optional(.timespan)),
             try c("monitoring.gc.stats", .optional(.boolean, default: true)))
        }
    }
}

/// baseplate.py's runtime monitor: every 10 seconds, on the wall clock's multiples of 10, one
/// statsd batch under `<namespace>.runtime` with base tags `hostname` and `PID`; and, with
/// `monitoring.blocked_hub`, a watchdog thread for loops stuck in one job.
///
/// Reads only what the loops publish (atomics), so the loops never wait for it.
public final class RuntimeMonitor: Sendable {
    /// baseplate.py's `REPORT_INTERVAL_SECONDS`.
    public static let reportInterval = 10.0

    let settings: RuntimeMonitorSettings
    let server: ThriftServer
    let baseplate: BaseplateApp?
    let client: MetricsClient?
    let interval: Double
    let logger: Logger
    private let stopped = Atomic<Bool>(false)
    /// Blocked spells the watchdog measured (seconds), sent as `hub_blocked` at the next report.
    private let blockedSpells = Mutex<[Double]>([])
    let hostname: String
    let pid: String

    init(settings: RuntimeMonitorSettings, server: ThriftServer, baseplate: BaseplateApp?, interval: Double, logger: Logger) {
        self.settings = settings
        self.server = server
        self.baseplate = baseplate
        self.client = baseplate?.metricsClient
        self.interval = interval
        self.logger = logger
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        hostname = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        pid = String(getpid())
    }

    /// Starts the monitor for `server` (call before `server.start()`: the watchdog's request
    /// tracking is switched on in the loops first). nil when `metrics.enabled` is false or
    /// nothing is to be watched.
    ///
    /// `BASEPLATE_RUNTIME_MONITOR_INTERVAL` (seconds) shortens the interval: for tests only.
    public static func start(settings: RuntimeMonitorSettings, server: ThriftServer, baseplate: BaseplateApp?,
                             environment: [String: String] = [:], logger: Logger) -> RuntimeMonitor? {
        let interval = environment["BASEPLATE_RUNTIME_MONITOR_INTERVAL"].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil }
        return start(settings: settings, server: server, baseplate: baseplate, interval: interval ?? reportInterval, logger: logger)
    }

    static func start(settings: RuntimeMonitorSettings, server: ThriftServer, baseplate: BaseplateApp?,
                      interval: Double, logger: Logger) -> RuntimeMonitor? {
        guard settings.metricsEnabled else {
            logger.info("No metrics client configured. Server metrics will not be sent.")
            return nil
        }
        let monitor = RuntimeMonitor(settings: settings, server: server, baseplate: baseplate, interval: interval, logger: logger)
        if let threshold = settings.blockedLoop, threshold > .zero {
            for stats in server.loopStats { stats.tracksRequests = true }
            BackgroundThread.start(name: "Loop Watchdog") { monitor.watch(threshold: threshold) }
        }
        if monitor.client == nil {
            logger.info("No metrics client configured. Server metrics will not be sent.")
        } else {
            BackgroundThread.start(name: "Server Monitoring") { monitor.reportPeriodically() }
        }
        return monitor
    }

    /// Ends both threads (at their next wake-up); before the server shuts down, so that
    /// stopping loops are not taken for blocked ones.
    public func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    /// Seconds until the next multiple of `interval` on the wall clock (`interval - now % interval`).
    static func delayUntilNextReport(now: Double, interval: Double) -> Double {
        interval - now.truncatingRemainder(dividingBy: interval)
    }

    private func reportPeriodically() {
        while true {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            Self.sleep(seconds: Self.delayUntilNextReport(now: Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9, interval: interval))
            if stopped.load(ordering: .relaxed) { return }
            report()
        }
    }

    /// One report: one batch, one datagram.
    func report() {
        guard let client else { return }
        let batch = client.batch()
        batch.namespace += ".runtime"
        batch.baseTags["hostname"] = hostname
        batch.baseTags["PID"] = pid
        if settings.concurrency {
            batch.gauge("open_connections").replace(Double(server.openConnections))
            batch.gauge("active_requests").replace(Double(server.activeRequests))
        }
        if settings.connectionPool, let baseplate {
            for (name, factory) in baseplate.contextFactories {
                guard let reporter = factory as? any RuntimeMetricsReporter else { continue }
                batch.baseTags["client"] = name
                reporter.reportRuntimeMetrics(batch)
                batch.baseTags["client"] = nil
            }
        }
        for seconds in blockedSpells.withLock({ spells in defer { spells.removeAll() }; return spells }) {
            batch.timer("hub_blocked").send(seconds: seconds)
        }
        if settings.memory {
            if let rss = ProcessMemory.residentBytes() { batch.gauge("memory.rss").replace(Double(rss)) }
            batch.gauge("memory.heap").replace(Double(ProcessMemory.heapBytes()))
        }
        batch.flush()
    }

    /// The watchdog: every `threshold`, each loop must have come round since the last check
    /// (when it was woken, so an idle loop comes round too). One that has not is stuck in a job
    /// for at least `threshold`: logged once per spell with its requests in flight, and the
    /// spell's length (to within `threshold`) is timed when it ends.
    private func watch(threshold: Duration) {
        let loops = server.loopStats
        var seen = loops.map { $0.rounds.load(ordering: .relaxed) }
        var blockedSince: [ContinuousClock.Instant?] = Array(repeating: nil, count: loops.count)
        var checked = ContinuousClock.now
        server.wakeLoops()
        while true {
            Self.sleep(seconds: threshold.seconds)
            if stopped.load(ordering: .relaxed) { return }
            let now = ContinuousClock.now
            for (i, stats) in loops.enumerated() {
                let rounds = stats.rounds.load(ordering: .relaxed)
                if rounds != seen[i] {
                    if let since = blockedSince[i] {
                        let spell = (now - since).seconds
                        blockedSpells.withLock { $0.append(spell) }
                        logger.warning("Event loop \(i) is running again after being blocked for about \(Self.format(seconds: spell))")
                        blockedSince[i] = nil
                    }
                    seen[i] = rounds
                } else if blockedSince[i] == nil {
                    blockedSince[i] = checked
                    let requests = stats.requestsInFlight.map {
                        "\($0.method) (trace \($0.traceID), age \(Self.format(seconds: (now - $0.startTime).seconds)))"
                    }
                    logger.warning(
                        "Event loop \(i) blocked for at least \(Self.format(seconds: (now - checked).seconds)); requests in flight: \(requests.isEmpty ? "none" : requests.joined(separator: ", "))")
                }
            }
            checked = now
            server.wakeLoops()
        }
    }

    static func format(seconds: Double) -> String {
        PythonFloatText.g(seconds) + " s"
    }

    static func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        var left = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - seconds.rounded(.down)) * 1e9))
        var rest = timespec()
        while nanosleep(&left, &rest) != 0 && errno == EINTR { left = rest }
    }
}

/// The process's memory, for the monitor's gauges.
enum ProcessMemory {
    /// Resident set size: `/proc/self/statm`'s second field, in pages.
    static func residentBytes() -> Int? {
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return nil }
        let fields = buffer[0..<n].split(separator: UInt8(ascii: " "))
        guard fields.count > 1, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Bytes malloc has handed out and not had back (glibc's `mallinfo2().uordblks`).
    static func heapBytes() -> Int {
        bpio_heap_in_use()
    }
}
