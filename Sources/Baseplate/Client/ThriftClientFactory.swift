/// Makes, for each request, a client whose calls go through a shared pool as child spans of the
/// request (baseplate.py's `ThriftClient` context factory): each call is a span named
/// `<name>.<method>` tagged `slug` and `method`, carries the request's trace, edge context and
/// remaining deadline as THeader headers, and is retried by the retry policy on transport
/// errors.
///
/// ```swift
/// let pool = ThriftConnectionPool(try .init(config: appConfig, prefix: "downstream."))
/// baseplate.addToContext("downstream", ThriftClientFactory(pool: pool) { DownstreamClient(channel: $0) })
/// // in a handler:
/// let downstream = context.object("downstream", as: DownstreamClient.self)!
/// ```
public struct ThriftClientFactory<Client: Sendable>: ContextFactory {
    public let pool: ThriftConnectionPool
    public let retryPolicy: RetryPolicy
    private let make: @Sendable (any ThriftChannel) -> Client

    public init(pool: ThriftConnectionPool, retryPolicy: RetryPolicy = .once,
                _ make: @escaping @Sendable (any ThriftChannel) -> Client) {
        self.pool = pool
        self.retryPolicy = retryPolicy
        self.make = make
    }

    public func makeObject(for context: RequestContext, name: String, span: Span) -> any Sendable {
        make(TracedChannel(pool: pool, name: name, parent: span, context: context, retryPolicy: retryPolicy))
    }
}

/// A pool seen from one request: spans, headers, retries.
public struct TracedChannel: ThriftChannel {
    let pool: ThriftConnectionPool
    let name: String
    let parent: Span
    let context: RequestContext
    let retryPolicy: RetryPolicy

    public var protocolKind: ThriftProtocolKind { pool.protocolKind }

    /// The same client with another retry policy (baseplate.py's `retrying(...)`).
    public func retrying(_ policy: RetryPolicy) -> TracedChannel {
        TracedChannel(pool: pool, name: name, parent: parent, context: context, retryPolicy: policy)
    }

    public func send(_ message: [UInt8], expectsReply: Bool) async throws -> [UInt8]? {
        let method = Self.methodName(of: message)
        let span = parent.makeChild("\(name).\(method)")
        span.setTag("slug", .string(name))
        span.setTag("method", .string(method))
        span.start()
        // thrift_client_* (baseplate.py's labels; a declared exception is a failure whose type
        // the channel cannot name: the result struct says only which field holds it).
        let metrics = ThriftClientMetrics.shared.method(method, client: name)
        let started = ContinuousClock.now
        metrics.started()
        var outcome = RequestOutcome.success
        defer {
            let labels = outcome.labels
            metrics.finished(success: labels.success, exceptionType: labels.exceptionType,
                             baseplateStatus: labels.baseplateStatus, baseplateStatusCode: labels.baseplateStatusCode,
                             latency: .now - started)
        }
        do {
            var attempts = retryPolicy.makeAttempts()
            var lastError: TTransportException?
            while let remaining = await attempts.next() {
                var timeout = pool.configuration.timeout
                if let remaining { timeout = min(timeout, remaining) }
                if let budget = context.remainingBudget { timeout = min(timeout, budget) }
                guard timeout > .zero else { break }
                do {
                    let reply = try await pool.call(
                        message, headers: headers(for: span, budget: timeout), timeout: timeout,
                        expectsReply: expectsReply)
                    if let reply, let declared = Self.declaredException(in: reply, pool.protocolKind) {
                        span.finish(error: declared)  // a declared exception fails the client span
                        outcome = .declared(declared)
                    } else {
                        span.finish()
                    }
                    return reply
                } catch let error as TTransportException {
                    lastError = error
                }
            }
            let last = lastError.map { "\($0)" } ?? "deadline exceeded"
            throw TTransportException(
                .timedOut, "retry policy exhausted while attempting \(name).\(method), last error was: \(last)")
        } catch {
            span.finish(error: error)
            outcome = .failed(error)
            throw error
        }
    }

    /// The request's trace (this call's span), edge context, caller name and the deadline
    /// budget in whole milliseconds (rounded up), plus any headers the handler set.
    func headers(for span: Span, budget: Duration) -> ThriftHeaders {
        var headers = ThriftHeaders.outgoing ?? ThriftHeaders()
        headers.add("Trace", span.traceID)
        if let parent = span.parentID { headers.add("Parent", parent) }
        headers.add("Span", span.id)
        if let sampled = span.sampled { headers.add("Sampled", sampled ? "1" : "0") }
        if let flags = span.flags, flags != 0 { headers.add("Flags", String(flags)) }
        if let edge = context.rawEdgeContext { headers.add("Edge-Request", bytes: edge) }
        if let service = context.baseplate?.serviceName { headers.add("User-Agent", service) }
        let ms = budget.millisecondsRoundedUp
        if ms > 0 { headers.add("Deadline-Budget", String(ms)) }
        return headers
    }

    static func methodName(of message: [UInt8]) -> String {
        message.withUnsafeBytes { raw in
            var r = CompactReader(raw)
            return (try? r.readMessageBegin().name) ?? "unknown"
        }
    }

    /// Whether a reply's result struct carries a declared exception (a field other than 0,
    /// `success`, set first): the generated client will throw it.
    static func declaredException(in reply: [UInt8], _ kind: ThriftProtocolKind) -> DeclaredException? {
        reply.withUnsafeBytes { raw -> DeclaredException? in
            func peek<R: ThriftReader>(_ r: inout R) -> DeclaredException? {
                guard let header = try? r.readMessageBegin(), header.type == .reply,
                      (try? r.readStructBegin()) != nil,
                      let field = try? r.readFieldBegin(), field.type != .stop, field.id != 0
                else { return nil }
                return DeclaredException(fieldID: field.id)
            }
            switch kind {
            case .compact:
                var r = CompactReader(raw)
                return peek(&r)
            case .binary:
                var r = BinaryReader(raw)
                return peek(&r)
            }
        }
    }
}

/// A client call answered with an exception the method declares (field `fieldID` of its
/// result): what the client span finishes with.
public struct DeclaredException: Error, Sendable {
    public var fieldID: Int16
}
