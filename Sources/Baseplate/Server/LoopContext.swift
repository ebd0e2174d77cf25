import CBaseplateIO
import Logging

/// The Swift side of one event loop: its executor, reply scratch buffers, and the per-frame
/// entry point the C core calls. Everything here runs on the loop's thread.
final class LoopContext: @unchecked Sendable {
    // @exclusivity(unchecked) on hot fields: one thread uses them (as below), and the dynamic
    // exclusivity checks cost ~1,000 instructions per request (callgrind).
    // @unchecked: mutable state (the scratch buffers) is touched only on the loop thread.
    let loop: OpaquePointer
    let executor: LoopExecutor
    /// `NoProcessor` on loops that only carry outbound connections (they have no listener). Not
    /// an Optional: unwrapping one copied the existential through Optional's generic value
    /// witness, ~130 instructions per request (callgrind).
    let processor: any ThriftProcessor
    let logger: Logger
    /// The tasks that run handlers.
    let workers: HandlerWorkers
    /// Finished requests' objects, for the next requests.
    let requests = RequestPool()
    /// The service's observers, context factories and timeouts; nil: plain Thrift, no spans.
    let baseplate: BaseplateApp?
    @exclusivity(unchecked) private var scratch: [UInt8] = []
    /// Requests in flight on this loop, newest first.
    @exclusivity(unchecked) private var inFlight: RequestContext?
    @exclusivity(unchecked) private(set) var inFlightCount = 0
    /// Each client pool's connections on this loop (see `ThriftConnectionPool`).
    @exclusivity(unchecked) var clientPools: [ObjectIdentifier: LoopPool] = [:]
    /// Counters and requests in flight for the runtime monitor's thread.
    let stats = LoopStats()
    /// statsd batches of this iteration, sent before the loop waits for I/O.
    let statsd = StatsdOutbox()
    /// Prometheus thrift_server_* series by method, for this loop's thread.
    private let serverMetrics = ThriftServerMetrics.Cache()
    /// The names of the methods this loop has dispatched (message names are matched, not decoded).
    let methodNames = MethodNames()
    /// One timer for every deadline on this loop, armed for the earliest.
    @exclusivity(unchecked) private var deadlineTimer: OpaquePointer?
    @exclusivity(unchecked) private var nextDeadline: Int64?  // Nanoseconds

    init(loop: OpaquePointer, processor: (any ThriftProcessor)?, baseplate: BaseplateApp?, logger: Logger) {
        self.loop = loop
        self.executor = LoopExecutor(loop: loop)
        self.processor = processor ?? NoProcessor()
        self.baseplate = baseplate
        self.logger = logger
        self.workers = HandlerWorkers(executor: executor, pool: requests, bindsTraceContext: DistributedTracing.bindsRequests)
        scratch = [UInt8](repeating: 0, count: 4096)  // room to write replies in (OutputBytes)
    }

    /// Frees what lives on the C loop; called before the loop itself is freed.
    func close() {
        statsd.flush()
        executor.close()
        bpio_timer_free(deadlineTimer)
        deadlineTimer = nil
    }

    /// Encodes one message with the writer for the request's protocol into the loop's reusable
    /// buffer and passes the bytes to `send` (which copies them into the connection).
    func encode(
        compact: Bool,
        binaryBody: (inout BinaryWriter) -> Void,
        compactBody: (inout CompactWriter) -> Void,
        send: (UnsafeBufferPointer<UInt8>) -> Void
    ) {
        var bytes: [UInt8] = []
        swap(&bytes, &scratch)
        // `consume`: the writer must own the only reference, or its first write copies.
        let count: Int
        if compact {
            var w = CompactWriter(reusing: consume bytes)
            compactBody(&w)
            (bytes, count) = w.take()
        } else {
            var w = BinaryWriter(reusing: consume bytes)
            binaryBody(&w)
            (bytes, count) = w.take()
        }
        bytes.withUnsafeBufferPointer { send(UnsafeBufferPointer(rebasing: $0[..<count])) }
        swap(&bytes, &scratch)
    }

    /// Makes sure the deadline timer fires by `deadline` (`Nanoseconds`).
    private func watch(_ deadline: Int64) {
        if let next = nextDeadline, next <= deadline { return }
        if deadlineTimer == nil {
            deadlineTimer = bpio_timer_new(loop, { arg in
                Unmanaged<LoopContext>.fromOpaque(arg!).takeUnretainedValue().deadlinesPassed()
            }, Unmanaged.passUnretained(self).toOpaque())
        }
        nextDeadline = deadline
        bpio_timer_arm(deadlineTimer, max(0, Double(deadline - Nanoseconds.now()) * 1e-9))
    }

    /// Answers every request past its deadline and cancels its handler, then re-arms for the
    /// next deadline. A scan of the in-flight list: only requests with deadlines are in it
    /// for long.
    private func deadlinesPassed() {
        nextDeadline = nil
        let now = Nanoseconds.now()
        var next = inFlight
        var earliest: Int64?
        while let context = next {
            next = context.nextInFlight
            guard let deadline = context.deadlineNanoseconds else { continue }
            if deadline <= now {
                context.task?.cancel()
                let timeout = ServerTimeout(
                    spanName: context.method, timeout: .nanoseconds(deadline - context.startNanoseconds),
                    debug: baseplate?.timeouts.debug ?? false)
                Responder(context).timeOut(timeout, oneway: context.oneway)
            } else if earliest.map({ deadline < $0 }) ?? true {
                earliest = deadline
            }
        }
        if let earliest { watch(earliest) }
    }

    func started(_ context: RequestContext) {
        context.nextInFlight = inFlight
        inFlight?.previousInFlight = context
        inFlight = context
        inFlightCount += 1
        context.isInFlight = true
    }

    func finished(_ context: RequestContext) {
        if let previous = context.previousInFlight {
            previous.nextInFlight = context.nextInFlight
        } else {
            inFlight = context.nextInFlight
        }
        context.nextInFlight?.previousInFlight = context.previousInFlight
        context.nextInFlight = nil
        context.previousInFlight = nil
        context.isInFlight = false
        inFlightCount -= 1
        stats.untrack(context)
    }

    /// Logs every request in flight on this loop with its age (loop thread only).
    func logInFlight() {
        let now = ContinuousClock.now
        let index = bpio_loop_index(loop)
        logger.warning("loop \(index): \(inFlightCount) request(s) in flight, \(bpio_loop_connection_count(loop)) connection(s)")
        var next = inFlight
        while let context = next {
            logger.warning("loop \(index): in flight: \(context.method), age \(now - context.startTime)")
            next = context.nextInFlight
        }
    }

    /// One frame from the C core. Decodes the message header and the arguments now (the bytes
    /// are borrowed), then starts the handler as a task on this loop.
    func handle(connection: OpaquePointer, frame: UnsafePointer<bpio_frame>) {
        let f = frame.pointee
        let bytes = UnsafeRawBufferPointer(start: f.payload, count: f.payload_len)
        if Int(f.protocol) == BPIO_PROTOCOL_COMPACT {
            var reader = CompactReader(bytes)
            reader.methodNames = methodNames
            dispatch(&reader, compact: true, connection: connection, frame: f) {
                (r: inout CompactReader, name: String) throws(ThriftProtocolError) -> ThriftCall? in
                try self.processor.makeCall(name, reader: &r)
            }
        } else {
            var reader = BinaryReader(bytes)
            reader.methodNames = methodNames
            dispatch(&reader, compact: false, connection: connection, frame: f) {
                (r: inout BinaryReader, name: String) throws(ThriftProtocolError) -> ThriftCall? in
                try self.processor.makeCall(name, reader: &r)
            }
        }
    }

    private func dispatch<R: ThriftReader>(
        _ reader: inout R, compact: Bool, connection: OpaquePointer, frame: bpio_frame,
        makeCall: (inout R, String) throws(ThriftProtocolError) -> ThriftCall?
    ) {
        let header: MessageHeader
        do {
            header = try reader.readMessageBegin()
        } catch {
            logger.warning("Closing connection: undecodable message header", metadata: [
                "connection": "\(bpio_conn_id(connection))", "error": "\(error)",
            ])
            bpio_conn_close(connection)
            return
        }
        guard header.type == .call || header.type == .oneway else {
            answerEarly(header, compact: compact, connection: connection, TApplicationException(
                .invalidMessageType, "Invalid message type \(header.type.rawValue)"))
            return
        }
        let call: ThriftCall?
        do {
            call = try makeCall(&reader, header.name)
        } catch {
            // The header decoded, so the client can be told: PROTOCOL_ERROR, connection kept.
            logger.warning("Undecodable arguments", metadata: [
                "method": "\(header.name)", "error": "\(error)",
            ])
            answerEarly(header, compact: compact, connection: connection, TApplicationException(.protocolError, error.message))
            return
        }
        guard let call else {
            // baseplate.py's text; no span or metrics for a method that does not exist.
            answerEarly(header, compact: compact, connection: connection, TApplicationException(
                .unknownMethod, "Unknown function \(header.name)"))
            return
        }
        // A method the service has: its name is worth remembering (made-up ones are not).
        if methodNames.missed { methodNames.remember(header.name) }
        let context = requests.context(method: header.name, frame: frame, localTraceID: bpio_random64())
        context.answers(header, compact: compact, connection: connection, on: self)
        started(context)
        let metrics = serverMetrics.method(header.name)
        metrics.started()
        context.serverMetrics = metrics
        context.oneway = call.oneway
        if let baseplate {
            // Read from the C core's headers, before the frame's bytes go.
            context.begin(with: baseplate, known: BaseplateHeaders(frame.headers, count: Int(frame.header_count)))
        }
        stats.track(context)  // after begin: the trace id is final
        // Queued for this loop's handler worker, which runs it before the loop sleeps, in this
        // iteration: as a job of the executor, the handler's async calls need no executor switch
        // (Task.immediate would start outside the executor and pay a switch at the first call,
        // measured with callgrind).
        workers.run(call, context: context)
        if let deadline = context.deadlineNanoseconds { watch(deadline) }
    }

    /// Answers a call that will not run (bad message type, undecodable arguments, unknown
    /// method): no span, no metrics, no in-flight entry.
    private func answerEarly(_ header: MessageHeader, compact: Bool, connection: OpaquePointer, _ error: TApplicationException) {
        let context = RequestContext(method: header.name)
        context.answers(header, compact: compact, connection: connection, on: self)
        Responder(context).exception(error)
    }
}

extension RequestContext {
    /// Sets where the request's answer goes: a reply to `header` on `connection`.
    fileprivate func answers(_ header: MessageHeader, compact: Bool, connection: OpaquePointer, on loop: LoopContext) {
        loopContext = loop
        self.connection = connection
        sequenceID = header.sequenceID
        self.compact = compact
    }
}

/// The processor of a loop that serves no Thrift service: every method is unknown.
private struct NoProcessor: ThriftProcessor {
    func makeCall(_ method: String, reader: inout BinaryReader) throws(ThriftProtocolError) -> ThriftCall? { nil }
    func makeCall(_ method: String, reader: inout CompactReader) throws(ThriftProtocolError) -> ThriftCall? { nil }
}
