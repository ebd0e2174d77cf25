import Baseplate
import Logging

/// The Prometheus exporter as `baseplate-serve` runs it (baseplate.py's
/// `start_prometheus_exporter`): on by default, off with `metrics.enabled = false` in the app
/// section.
///
/// Deliberate difference: baseplate.py exits when `PROMETHEUS_MULTIPROC_DIR` is unset, because
/// its values live only in that directory. Ours live in the process, so without the variable
/// it serves its own values, which is right for one process per port; several processes
/// sharing the port (Einhorn) need the directory to answer for all, and are told so.
enum PrometheusSetup {
    static func start(app: [String: String], environment: [String: String], logger: Logger) throws -> PrometheusExporter? {
        let enabled: Bool?
        do {
            enabled = try parseConfig(app) { c in try c("metrics.enabled", .optional(.boolean)) }
        } catch let error as ConfigurationError {
            throw StartupError(message: "[app] \(error)", code: 1)
        }
        guard enabled ?? true else {
            logger.info("Metrics are not configured, Prometheus metrics will not be exported.")
            return nil
        }
        do {
            let configuration = try PrometheusExporter.Configuration(environment: environment)
            if configuration.multiprocessDirectory == nil && Einhorn.isWorker(environment) {
                logger.warning("PROMETHEUS_MULTIPROC_DIR is not set: each worker's exporter serves its own metrics only")
            }
            let exporter = try PrometheusExporter(configuration: configuration, logger: logger)
            exporter.start()
            return exporter
        } catch {
            throw StartupError(message: "Prometheus exporter: \(error)", code: 1)
        }
    }
}
