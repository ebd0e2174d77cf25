import CBaseplateIO

/// How a request ended, as the server span and the request metrics see it (baseplate.py's
/// processor wrapper, reference §2.2).
enum RequestOutcome {
    case success
    /// An exception the method declares, answered inside its result struct.
    case declared(any Error)
    /// An exception sent as such (TApplicationException), an undeclared error, or a timeout.
    case failed(any Error)
}

/// The labels baseplate.py's `thrift_server_requests_total` gives a finished request.
public struct RequestOutcomeLabels: Sendable, Hashable {
    /// "true" only when the handler returned normally.
    public var success: Bool
    /// The error's type name ("Error" for baseplate's `Error`), or "".
    public var exceptionType: String
    /// The `ErrorCode` name of a baseplate `Error`'s code, or "".
    public var baseplateStatus: String
    /// A baseplate `Error`'s code as decimal text, or "".
    public var baseplateStatusCode: String
}

extension RequestOutcome {
    var error: (any Error)? {
        switch self {
        case .success: nil
        case .declared(let e), .failed(let e): e
        }
    }

    var labels: RequestOutcomeLabels {
        guard let error else {
            return RequestOutcomeLabels(success: true, exceptionType: "", baseplateStatus: "", baseplateStatusCode: "")
        }
        var labels = RequestOutcomeLabels(
            success: false, exceptionType: exceptionTypeName(error), baseplateStatus: "", baseplateStatusCode: "")
        if let e = error as? BaseplateError, let code = e.code {
            labels.baseplateStatusCode = String(code)
            labels.baseplateStatus = errorCodeName(code)
        }
        return labels
    }
}

/// The name baseplate.py would report: the IDL's name for baseplate's `Error`, else the type's.
func exceptionTypeName(_ error: any Error) -> String {
    if error is BaseplateError { return "Error" }
    if error is DeclaredException { return "" }  // a client saw it; its type is not on the wire
    return String(describing: type(of: error))
}

/// `ErrorCode` names as the IDL spells them (Python's `_VALUES_TO_NAMES`), "" for others.
func errorCodeName(_ code: Int32) -> String {
    switch code {
    case 400: "BAD_REQUEST"
    case 401: "UNAUTHORIZED"
    case 402: "PAYMENT_REQUIRED"
    case 403: "FORBIDDEN"
    case 404: "NOT_FOUND"
    case 409: "CONFLICT"
    case 410: "GONE"
    case 412: "PRECONDITION_FAILED"
    case 413: "PAYLOAD_TOO_LARGE"
    case 418: "IM_A_TEAPOT"
    case 421: "MISDIRECTED_REQUEST"
    case 422: "UNPROCESSABLE_ENTITY"
    case 423: "LOCKED"
    case 424: "FAILED_DEPENDENCY"
    case 425: "TOO_EARLY"
    case 428: "PRECONDITION_REQUIRED"
    case 429: "TOO_MANY_REQUESTS"
    case 431: "REQUEST_HEADER_FIELDS_TOO_LARGE"
    case 451: "UNAVAILABLE_FOR_LEGAL_REASONS"
    case 500: "INTERNAL_SERVER_ERROR"
    case 501: "NOT_IMPLEMENTED"
    case 502: "BAD_GATEWAY"
    case 503: "SERVICE_UNAVAILABLE"
    case 504: "TIMEOUT"
    case 507: "INSUFFICIENT_STORAGE"
    case 508: "LOOP_DETECTED"
    case 1000: "USER_DEFINED"
    default: ""
    }
}

extension RequestContext {
    /// Sets up the request's trace and deadline from its headers (baseplate.py 2.7.0 rules):
    /// the server span, named after the method, reuses the caller's span id; malformed or
    /// missing trace headers start a new root trace.
    func begin(with baseplate: BaseplateApp, known: BaseplateHeaders) {
        self.baseplate = baseplate
        // In integer nanoseconds: Duration from a Double and Instant arithmetic cost ~500
        // instructions per request (callgrind).
        var timeout: Int64?
        if let ms = known.deadlineBudgetMS {
            // Deadlines beyond ~31 years (1e12 ms) are kept at that: as nanoseconds they must
            // fit an Int64. The budget itself is as sent (capped at 1e15 ms when parsed).
            let nanoseconds = Int64(min(ms, 1e12) * 1e6)
            deadlineBudget = ms <= 1e12 ? .nanoseconds(nanoseconds) : .milliseconds(ms)
            timeout = nanoseconds
        }
        if let configured = baseplate.timeout(for: method)?.timeout {
            let nanoseconds = configured.wholeNanoseconds
            timeout = min(timeout ?? nanoseconds, nanoseconds)
        }
        if let timeout { deadlineNanoseconds = startNanoseconds &+ timeout }

        let span: ServerSpan
        if known.continuesUpstream, let trace = known.trace, let id = known.span {
            span = serverSpan(trace: trace, parent: known.parent ?? .text(""), id: id, sampled: known.sampled,
                              flags: known.flags ?? nil)
        } else {
            let root = SpanIdentifier.number(bpio_random64())  // a new root: span id = trace id
            span = serverSpan(trace: root, parent: nil, id: root, sampled: nil, flags: nil)
        }
        self.span = span
        for observer in baseplate.observers {
            observer.onServerSpanCreated(context: self, serverSpan: span)
        }
        if span.observesTags {
            span.setTag("protocol", "thrift")
            if let agent = headers.string("User-Agent") { span.setTag("peer.service", .string(agent)) }
            span.setTag("thrift.method", .string(method))
        }
        span.start(at: startNanoseconds)  // when the request arrived: one clock read fewer
    }

    /// The request's server span: the one a recycled context kept, if any (see `RequestPool`).
    private func serverSpan(trace: SpanIdentifier, parent: SpanIdentifier?, id: SpanIdentifier, sampled: Bool?,
                            flags: UInt64?) -> ServerSpan {
        guard let span = spareSpan.take() else {
            return ServerSpan(trace: trace, parent: parent, id: id, sampled: sampled, flags: flags, name: method, context: self)
        }
        span.reset(trace: trace, parent: parent, id: id, sampled: sampled, flags: flags, name: method, context: self)
        return span
    }

    /// Finishes the server span with baseplate.py's error mapping: a baseplate `Error` fails the
    /// span only with a 5xx code; other declared exceptions are successes tagged with their
    /// type; anything else fails it.
    func finish(_ outcome: RequestOutcome) {
        guard let span else { return }
        // The request's references back to itself go once it is answered (span.context, and
        // context objects such as clients holding the request): otherwise each would be a cycle.
        defer {
            span.context = nil
            releaseObjects()
        }
        switch outcome {
        case .success:
            span.finish()
        case .declared(let error as BaseplateError), .failed(let error as BaseplateError):
            let code = error.code ?? 0
            span.setTag("exception_type", "Error")
            span.setTag("thrift.status_code", .int(Int64(code)))
            span.setTag("thrift.status", .string(errorCodeName(code)))
            span.setTag("success", false)
            span.finish(error: (500..<600).contains(code) ? error : nil)
        case .declared(let error):
            span.setTag("exception_type", .string(exceptionTypeName(error)))
            span.setTag("success", false)
            span.finish()
        case .failed(let error):
            span.finish(error: error)
        }
    }
}
