import Logging

/// The statsd part of `BaseplateApp.configureObservers()`, as baseplate.py's
/// `configure_observers()`: `metrics.tagging` present switches on the tagged observer (and
/// forbids `metrics.namespace`), else `metrics.namespace` present switches on the untagged one.
/// Either way the app's `metricsClient` is set (the runtime monitor reports through it).
enum MetricsConfiguration {
    static func configure(_ app: BaseplateApp, logger: Logger) throws {
        let config = app.appConfig
        // Presence, not value, decides (baseplate.py tests `"metrics.tagging" in app_config`).
        if config["metrics.tagging"] != nil {
            if config["metrics.namespace"] != nil {
                throw ConfigValueError("metrics.namespace not allowed with metrics.tagging")
            }
            let client = try MetricsClient.fromConfig(config)
            let (allowlist, sampleRate) = try parseConfig(config) { c in
                (try c("metrics.allowlist", .optional(.tupleOf(.string), default: [])),
                 try c("metrics_observer.sample_rate", .optional(.percent, default: 1)))
            }
            app.metricsClient = client
            app.register(TaggedMetricsObserver(client: client, allowlist: Set(allowlist), sampleRate: sampleRate))
        } else if config["metrics.namespace"] != nil {
            let client = try MetricsClient.fromConfig(config)
            let sampleRate = try parseConfig(config) { c in
                try c("metrics_observer.sample_rate", .optional(.percent, default: 1))
            }
            app.metricsClient = client
            app.register(MetricsObserver(client: client, sampleRate: sampleRate))
        } else {
            logger.debug("The metrics observer is unconfigured and won't run (no metrics.namespace or metrics.tagging)")
        }
    }
}

/// An object on the request context (a client pool, typically) that reports its own state to
/// the runtime monitor every 10 seconds when the server section sets
/// `monitoring.connection_pool = true` (baseplate.py's `report_runtime_metrics(batch)`). The
/// batch carries the base tag `client=<context name>`; a Thrift pool sends gauges `pool.size`
/// and `pool.in_use`.
///
/// Called from the monitor's thread: implementations read their state thread-safely.
public protocol RuntimeMetricsReporter: Sendable {
    func reportRuntimeMetrics(_ batch: MetricsBatch)
}
