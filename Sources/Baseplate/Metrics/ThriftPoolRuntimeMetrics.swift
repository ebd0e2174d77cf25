extension ThriftClientFactory: RuntimeMetricsReporter {
    /// baseplate.py's Thrift context factory reports: `pool.size` (the configured connections
    /// per event loop here) and `pool.in_use` (connections checked out, over all loops).
    public func reportRuntimeMetrics(_ batch: MetricsBatch) {
        batch.gauge("pool.size").replace(Double(pool.configuration.size))
        batch.gauge("pool.in_use").replace(Double(pool.connectionsInUse))
    }
}
