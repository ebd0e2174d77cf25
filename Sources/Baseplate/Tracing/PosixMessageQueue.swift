import CBaseplateIO
#if canImport(Glibc)
import Glibc
#endif

/// The writing end of a POSIX message queue (`/traces-<name>` for the trace sidecar), opened
/// non-blocking, as baseplate.py's `MessageQueue` opens it.
final class PosixMessageQueue: Sendable {
    let name: String
    private let descriptor: Int32

    enum SendResult: Equatable { case sent, full, failed(errno: Int32) }

    /// Creates the queue when missing (the sizes apply only then; an existing queue keeps its
    /// own). Errors carry baseplate.py's hints: the kernel refuses sizes above
    /// `fs.mqueue.msg_max` / `msgsize_max` to unprivileged processes (EINVAL), and every
    /// queue's full size counts against `RLIMIT_MSGQUEUE` (EMFILE), root included.
    init(name: String, maxMessages: Int, maxMessageSize: Int) throws(TracingSetupError) {
        self.name = name
        let fd = bpio_mq_open_writer(name, maxMessages, maxMessageSize)
        guard fd >= 0 else {
            let code = errno
            let text = String(cString: strerror(code))
            if code == EINVAL {
                throw TracingSetupError(
                    "cannot open message queue \(name): [Errno \(code)] \(text) (check fs.mqueue.{msg_max,msgsize_max} sysctls?)")
            }
            throw TracingSetupError("cannot open message queue \(name): [Errno \(code)] \(text) (check `ulimit -q`?)")
        }
        descriptor = fd
    }

    func send(_ message: [UInt8]) -> SendResult {
        let rc = message.withUnsafeBytes { bpio_mq_send(descriptor, $0.baseAddress, $0.count) }
        if rc == 0 { return .sent }
        let code = errno
        return code == EAGAIN ? .full : .failed(errno: code)
    }

    deinit { bpio_mq_close(descriptor) }
}

/// Tracing could not be set up from the app config (the server does not start).
public struct TracingSetupError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    init(_ message: String) { self.message = message }
}
