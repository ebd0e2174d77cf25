import Logging
#if canImport(Glibc)
import Glibc
#endif

extension TraceObserver {
    /// The tracing family of `BaseplateApp.configureObservers`: with `tracing.service_name` set,
    /// starts the recorder named by the config (sidecar queue, HTTP collector, or the debug log),
    /// registers the observer, and offers it to swift-distributed-tracing.
    static func configure(_ baseplate: BaseplateApp, _ logger: Logger) throws {
        guard baseplate.appConfig["tracing.service_name"] != nil else {
            logger.debug("Tracing is not configured (no tracing.service_name)")
            return
        }
        let config = try TracingConfig(baseplate.appConfig)
        let observer = try TraceObserver(config: config, logger: logger)
        baseplate.register(observer)
        DistributedTracing.install(observer, logger: logger)
    }

    convenience init(config: TracingConfig, logger: Logger) throws {
        let endpoint = ZipkinEndpoint(serviceName: config.serviceName, ipv4: Self.hostAddress(logger: logger))
        let tracingLogger = Logger(label: "baseplate.observers.tracing")
        let sink: any SpanSink
        if let queueName = config.queueName {
            sink = try SidecarSink(queueName: queueName, endpoint: endpoint, logger: tracingLogger)
        } else if let target = config.endpoint {
            logger.warning("In-app trace publishing is deprecated in favor of the sidecar model.")
            sink = RemoteSink(target: target, endpoint: endpoint, logger: Logger(label: "RemoteRecorder"))
        } else {
            sink = LoggingSink(endpoint: endpoint, logger: Logger(label: "LoggingRecorder"))
        }
        let recorder = SpanRecorder(
            sink: sink, capacity: config.maxSpanQueueSize, interval: config.spanBatchInterval, logger: tracingLogger)
        recorder.start()
        self.init(serviceName: config.serviceName, sampleRate: config.sampleRate, hostname: endpoint.ipv4,
                  recorder: recorder)
    }

    /// `socket.gethostbyname(socket.gethostname())`: this host's first IPv4 address, or
    /// "undefined" (with baseplate.py's warning) when the name does not resolve.
    static func hostAddress(logger: Logger) -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "undefined" }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(name, nil, &hints, &result)
        guard rc == 0, let first = result else {
            logger.warning("Hostname could not be resolved, error=\(String(cString: gai_strerror(rc)))")
            return "undefined"
        }
        defer { freeaddrinfo(result) }
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        let resolved = first.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { addr in
            var address = addr.pointee.sin_addr
            return inet_ntop(AF_INET, &address, &text, socklen_t(text.count)) != nil
        }
        return resolved ? String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "undefined"
    }
}
