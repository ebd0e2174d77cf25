import CBaseplateIO
import Logging

/// Answers one request in the protocol and framing it arrived in.
///
/// Must be used on the loop thread that owns the connection. Handler tasks prefer that loop's
/// executor, so code after `await handler...` in the generated processor is already there.
public struct Responder: @unchecked Sendable {
    // @unchecked: `connection` is a C pointer owned by the loop; it is only dereferenced by
    // bpio_conn_* on the loop thread, which `send` checks.
    let connection: OpaquePointer
    let loop: LoopContext
    let method: String
    let sequenceID: Int32
    let compact: Bool
    /// The request's context, once made: unlinked from the loop's in-flight list on answer.
    var context: RequestContext?

    /// Sends `result` as a REPLY message.
    public func reply<T: ThriftStruct>(_ result: T) {
        send(type: .reply, result)
    }

    /// Sends a TApplicationException as an EXCEPTION message.
    public func exception(_ error: TApplicationException) {
        send(type: .exception, error)
    }

    /// Answers an error that the method does not declare: `TApplicationException` is sent as is;
    /// anything else is logged and answered `INTERNAL_ERROR` ("Internal error"), as baseplate.py
    /// does.
    public func fail(_ error: any Error) {
        if let app = error as? TApplicationException {
            exception(app)
            return
        }
        loop.logger.error("Unexpected exception in handler", metadata: [
            "method": "\(method)", "error": "\(String(reflecting: error))",
        ])
        exception(TApplicationException(.internalError, "Internal error"))
    }

    /// Finishes a oneway call whose handler failed: no reply can carry the error, so it is
    /// logged (as baseplate.py logs unexpected handler exceptions).
    public func done(failure error: any Error) {
        loop.logger.error("Unexpected exception in oneway handler", metadata: [
            "method": "\(method)", "error": "\(String(reflecting: error))",
        ])
        done()
    }

    /// Finishes a oneway call (no reply goes out).
    public func done() {
        precondition(bpio_loop_is_current(loop.loop) != 0, "Responder used off its loop thread")
        if let context { loop.finished(context) }
        bpio_conn_done(connection)
    }

    private func send<T: ThriftStruct>(type: MessageType, _ body: T) {
        precondition(bpio_loop_is_current(loop.loop) != 0, "Responder used off its loop thread")
        if let context { loop.finished(context) }
        let header = MessageHeader(name: method, type: type, sequenceID: sequenceID)
        loop.encode(compact: compact) { (w: inout BinaryWriter) in
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
