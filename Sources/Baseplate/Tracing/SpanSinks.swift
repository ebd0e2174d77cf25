import Logging

/// baseplate.py's `SidecarRecorder`: one JSON object per message on `/traces-<queue_name>`,
/// read by the trace publisher sidecar.
final class SidecarSink: SpanSink, @unchecked Sendable {
    // @unchecked: `fullWarning` is touched only on the recorder thread.
    /// baseplate.py's MAX_SPAN_SIZE and MAX_QUEUE_SIZE.
    static let maxSpanSize = 102_400
    static let maxQueueSize = 10_000

    let queue: PosixMessageQueue
    let endpoint: ZipkinEndpoint
    let logger: Logger
    private var fullWarning = RateLimit(every: .seconds(10))
    private var errorWarning = RateLimit(every: .seconds(10))
    var maxBatch: Int { 100 }

    init(queueName: String, endpoint: ZipkinEndpoint, logger: Logger) throws(TracingSetupError) {
        queue = try PosixMessageQueue(
            name: "/traces-" + queueName, maxMessages: Self.maxQueueSize, maxMessageSize: Self.maxSpanSize)
        self.endpoint = endpoint
        self.logger = logger
    }

    func flush(_ spans: ArraySlice<ZipkinSpan>) {
        for span in spans {
            let json = span.json(endpoint: endpoint)
            guard json.count <= Self.maxSpanSize else {
                logger.warning("""
                    Trace too big. Traces published to \(queue.name) are not allowed to be larger \
                    than \(Self.maxSpanSize) bytes. Received trace is \(json.count) bytes. This can be caused by \
                    an excess amount of tags or a large amount of child spans.
                    """)
                continue
            }
            switch queue.send(json) {
            case .sent:
                break
            case .full:
                // The sidecar is down or slow: say so now and then, not once per span.
                if let suppressed = fullWarning.allow() {
                    logger.warning("Trace queue \(queue.name) is full. Is trace sidecar healthy?",
                                   metadata: suppressed > 0 ? ["suppressed": "\(suppressed)"] : nil)
                }
            case .failed(let code):
                if let suppressed = errorWarning.allow() {
                    logger.warning("Trace queue \(queue.name): send failed: errno \(code)",
                                   metadata: suppressed > 0 ? ["suppressed": "\(suppressed)"] : nil)
                }
            }
        }
    }
}

/// baseplate.py's `RemoteRecorder`: batches of up to 100 spans POSTed as a JSON array to
/// `http://<tracing.endpoint>/api/v1/spans`, timeout 1 second.
final class RemoteSink: SpanSink, @unchecked Sendable {
    // @unchecked: `errorWarning` and `connection` are used only on the recorder thread.
    let endpoint: ZipkinEndpoint
    let logger: Logger
    private var errorWarning = RateLimit(every: .seconds(10))
    /// To `http://<tracing.endpoint>` (its `target`), kept between POSTs.
    private let connection: HTTPPost
    var maxBatch: Int { 100 }

    init(target: Endpoint, endpoint: ZipkinEndpoint, logger: Logger) {
        self.connection = HTTPPost(target: target)
        self.endpoint = endpoint
        self.logger = logger
    }

    func flush(_ spans: ArraySlice<ZipkinSpan>) {
        let body = zipkinJSONArray(spans, endpoint: endpoint)
        do {
            let status = try connection.post(body, path: "/api/v1/spans", timeout: .seconds(1))
            if !(200..<300).contains(status), let suppressed = errorWarning.allow() {
                logger.warning("Error flushing spans: HTTP \(status)",
                               metadata: suppressed > 0 ? ["suppressed": "\(suppressed)"] : nil)
            }
        } catch {
            if let suppressed = errorWarning.allow() {
                logger.warning("Error flushing spans: \(error)",
                               metadata: suppressed > 0 ? ["suppressed": "\(suppressed)"] : nil)
            }
        }
    }
}

/// baseplate.py's `LoggingRecorder`: each span at DEBUG. (baseplate.py formats the Python dict;
/// this logs the JSON the other recorders would send.)
struct LoggingSink: SpanSink {
    let endpoint: ZipkinEndpoint
    let logger: Logger
    var maxBatch: Int { 100 }

    func flush(_ spans: ArraySlice<ZipkinSpan>) {
        guard logger.logLevel <= .debug else { return }
        for span in spans {
            logger.debug("Span recording: \(String(decoding: span.json(endpoint: endpoint), as: UTF8.self))")
        }
    }
}

/// Lets a repeated warning through at most once per interval; reports how many were held back.
struct RateLimit {
    let every: Duration
    private var last: ContinuousClock.Instant?
    private var suppressed = 0

    init(every: Duration) { self.every = every }

    /// nil: stay quiet. Otherwise the number of warnings suppressed since the last one.
    mutating func allow() -> Int? {
        let now = ContinuousClock.now
        if let last, now - last < every {
            suppressed += 1
            return nil
        }
        last = now
        defer { suppressed = 0 }
        return suppressed
    }
}
