/// The app config's `tracing.*` keys, as baseplate.py's `tracing_client_from_config` reads them.
struct TracingConfig: Sendable, Equatable {
    var serviceName: String
    /// Deprecated in baseplate.py in favour of the sidecar; still honoured.
    var endpoint: Endpoint?
    /// The sidecar's queue: spans go to `/traces-<queueName>`.
    var queueName: String?
    var maxSpanQueueSize: Int
    /// Read for compatibility; one recorder thread serves all loops.
    var numSpanWorkers: Int
    var spanBatchInterval: Duration
    /// Read for compatibility; each POST uses one connection.
    var numConns: Int
    /// Chance of tracing a request that arrives without a sampling decision.
    var sampleRate: Double

    init(_ app: [String: String]) throws {
        self = try parseConfig(app) { root in
            let c = root.scope("tracing")
            return TracingConfig(
                serviceName: try c("service_name", .string),
                endpoint: try c("endpoint", .optional(.endpoint)),
                queueName: try c("queue_name", .optional(.string)),
                maxSpanQueueSize: try c("max_span_queue_size", .optional(.integer, default: 50_000)),
                numSpanWorkers: try c("num_span_workers", .optional(.integer, default: 5)),
                spanBatchInterval: try c("span_batch_interval", .optional(.timespan, default: .milliseconds(500))),
                numConns: try c("num_conns", .optional(.integer, default: 100)),
                // "37%" or a bare fraction, as baseplate.py's Fallback(Percent, Float).
                sampleRate: try c("sample_rate", .optional(.fallback(.percent, .float), default: 0.1)))
        }
    }

    init(serviceName: String, endpoint: Endpoint? = nil, queueName: String? = nil, maxSpanQueueSize: Int = 50_000,
         numSpanWorkers: Int = 5, spanBatchInterval: Duration = .milliseconds(500), numConns: Int = 100,
         sampleRate: Double = 0.1) {
        self.serviceName = serviceName
        self.endpoint = endpoint
        self.queueName = queueName
        self.maxSpanQueueSize = maxSpanQueueSize
        self.numSpanWorkers = numSpanWorkers
        self.spanBatchInterval = spanBatchInterval
        self.numConns = numConns
        self.sampleRate = sampleRate
    }
}
