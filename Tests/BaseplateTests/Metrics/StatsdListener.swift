import Baseplate
import Glibc
import Logging
import Synchronization

/// A UDP socket on a loopback port that receives what a metrics client sends.
final class StatsdListener {
    let fd: Int32
    let port: Int

    init() throws {
        (fd, port) = try loopbackSocket(SOCK_DGRAM)
        var bufferSize: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufferSize, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    var endpoint: Endpoint { .inet(host: "127.0.0.1", port: port) }

    /// The next datagram, or nil after `timeout` seconds without one.
    func receive(timeout: Double = 5) -> String? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(timeout * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 70_000)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n < 0 ? nil : String(decoding: buffer[0..<n], as: UTF8.self)
    }

    /// Every datagram arriving within `timeout` seconds of the previous one.
    func receiveAll(timeout: Double = 0.3) -> [String] {
        var all: [String] = []
        while let d = receive(timeout: timeout) { all.append(d) }
        return all
    }
}

/// A log handler that keeps what is logged, for asserting on warnings.
final class CapturedLogs: Sendable {
    private let entries = Mutex<[(Logger.Level, String)]>([])

    var logger: Logger {
        var logger = Logger(label: "test.metrics") { _ in Handler(sink: self) }
        logger.logLevel = .debug
        return logger
    }

    var messages: [(level: Logger.Level, message: String)] { entries.withLock { $0.map { ($0.0, $0.1) } } }

    fileprivate func add(_ level: Logger.Level, _ message: String) { entries.withLock { $0.append((level, message)) } }

    struct Handler: LogHandler {
        let sink: CapturedLogs
        var logLevel: Logger.Level = .debug
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { sink.add(event.level, event.message.description) }
    }
}
