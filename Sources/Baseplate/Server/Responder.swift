import CBaseplateIO
import Logging

/// Answers one request in the protocol and framing it arrived in.
///
/// Must be used on the loop thread that owns the connection. Handler tasks prefer that loop's
/// executor, so code after `await handler...` in the generated processor is already there.
public struct Responder: @unchecked Sendable {
    // @unchecked: the connection is a C pointer owned by the loop; it is only dereferenced by
    // bpio_conn_* on the loop thread, which `finish` checks.
    /// The request, which also holds where its answer goes (connection, loop, sequence id,
    /// protocol): one reference, so passing the responder around costs one retain.
    let context: RequestContext

    init(_ context: RequestContext) { self.context = context }

    private var loop: LoopContext { context.loopContext! }
    private var connection: OpaquePointer { context.connection! }

    /// Sends `result` as a REPLY message.
    public func reply<T: ThriftStruct>(_ result: T) {
        send(type: .reply, result, outcome: .success)
    }

    /// Sends `result`, which carries `error`, an exception the method declares, as a REPLY
    /// message: the request counts as answered with that exception.
    public func reply<T: ThriftStruct>(_ result: T, declared error: any Error) {
        send(type: .reply, result, outcome: .declared(error))
    }

    /// Sends a TApplicationException as an EXCEPTION message.
    public func exception(_ error: TApplicationException) {
        send(type: .exception, error, outcome: .failed(error))
    }

    /// Answers an error that the method does not declare: `TApplicationException` is sent as is;
    /// anything else is logged and answered `INTERNAL_ERROR` ("Internal error"), as baseplate.py
    /// does.
    public func fail(_ error: any Error) {
        if let app = error as? TApplicationException {
            exception(app)
            return
        }
        if context.answered { return }  // timed out: the client has its answer
        logUnexpected(error, "Unexpected exception in handler")
        send(type: .exception, TApplicationException(.internalError, "Internal error"), outcome: .failed(error))
    }

    /// For methods that declare baseplate's `Error`: when the app converts errors
    /// (`BaseplateApp.convertToBaseplateError`, baseplate.py's `convert_to_baseplate_error`), an
    /// undeclared error is answered as `Error(code: 500, message: "Internal server error")` inside
    /// the result `convert` makes; otherwise as `fail` answers it.
    public func fail<T: ThriftStruct>(_ error: any Error, convertingInto convert: (BaseplateError) -> T) {
        guard context.baseplate?.convertToBaseplateError == true, !(error is TApplicationException) else {
            return fail(error)
        }
        if context.answered { return }
        logUnexpected(error, "Unexpected exception in handler")
        let converted = BaseplateError(code: 500, message: "Internal server error")
        send(type: .reply, convert(converted), outcome: .failed(converted))
    }

    /// Finishes a oneway call whose handler failed: no reply can carry the error, so it is
    /// logged (as baseplate.py logs unexpected handler exceptions).
    public func done(failure error: any Error) {
        if context.answered { return }
        logUnexpected(error, "Unexpected exception in oneway handler")
        finish(.failed(error)) { bpio_conn_done(connection) }
    }

    /// Finishes a oneway call (no reply goes out).
    public func done() {
        finish(.success) { bpio_conn_done(connection) }
    }

    /// Answers a request whose deadline passed (its handler is being cancelled): an
    /// INTERNAL_ERROR exception naming the timeout, or nothing for a oneway call.
    func timeOut(_ timeout: ServerTimeout, oneway: Bool) {
        context.logger.warning("\(timeout)")
        if oneway {
            finish(.failed(timeout)) { bpio_conn_done(connection) }
        } else {
            send(type: .exception, TApplicationException(.internalError, timeout.description), outcome: .failed(timeout))
        }
    }

    /// baseplate.py's log line for an error the method does not declare, with the request's
    /// trace id when there is a request.
    private func logUnexpected(_ error: any Error, _ message: Logger.Message) {
        context.logger.error(message, metadata: [
            "method": "\(context.method)", "error": "\(String(reflecting: error))",
        ])
    }

    /// Answers once: unlinks the request, lets `answer` write (or not), then finishes the span
    /// and metrics, after the reply is on its way. A second answer (a handler finishing after
    /// its deadline) is dropped.
    private func finish(_ outcome: RequestOutcome, answer: () -> Void) {
        precondition(bpio_loop_is_current(loop.loop) != 0, "Responder used off its loop thread")
        guard !context.answered else { return }
        context.answered = true
        // Answered before it started (an undecodable or unknown call): no span, no metrics.
        guard context.isInFlight else { return answer() }
        context.task = nil
        loop.finished(context)
        answer()
        context.finish(outcome)
        if let serverMetrics = context.serverMetrics {
            let latency = Duration.nanoseconds((context.span?.finishNanoseconds ?? Nanoseconds.now()) - context.startNanoseconds)
            if case .success = outcome {
                // The usual request: no label Strings made and destroyed (~110 instructions).
                serverMetrics.finished(success: true, latency: latency)
            } else {
                let labels = outcome.labels
                serverMetrics.finished(
                    success: labels.success, exceptionType: labels.exceptionType, baseplateStatus: labels.baseplateStatus,
                    baseplateStatusCode: labels.baseplateStatusCode, latency: latency)
            }
        }
    }

    private func send<T: ThriftStruct>(type: MessageType, _ body: T, outcome: RequestOutcome) {
        finish(outcome) { write(type: type, body) }
    }

    private func write<T: ThriftStruct>(type: MessageType, _ body: T) {
        let header = MessageHeader(name: context.method, type: type, sequenceID: context.sequenceID)
        let connection = connection
        loop.encode(compact: context.compact) { (w: inout BinaryWriter) in
            w.writeMessageBegin(header)
            body.write(to: &w)
        } compactBody: { (w: inout CompactWriter) in
            w.writeMessageBegin(header)
            body.write(to: &w)
        } send: { bytes in
            _ = bpio_conn_reply(connection, bytes.baseAddress, bytes.count)
        }
    }
}
