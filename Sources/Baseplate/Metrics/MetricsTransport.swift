import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where statsd datagrams go: a UDP (or UNIX datagram) socket connected to `metrics.endpoint`,
/// or nowhere (baseplate.py's `NullTransport`, when no endpoint is configured).
///
/// Sending never blocks: the socket is non-blocking, and a datagram the kernel cannot take at
/// once (`EAGAIN`) is dropped with a rate-limited warning. One socket serves every event loop
/// (a datagram `send` is atomic and thread-safe in the kernel).
public final class MetricsTransport: Sendable {
    /// What became of one datagram.
    enum Outcome: Equatable {
        case sent
        /// `EMSGSIZE`: larger than a datagram may be.
        case tooLarge
        /// Not sent; the failure has been logged (or deliberately not, see `swallowNetworkErrors`).
        case failed(errno: Int32)
    }

    private enum Kind {
        case null(logIfUnconfigured: Bool)
        case socket(fd: Int32, swallowNetworkErrors: Bool)
    }

    private let kind: Kind
    let logger: Logger
    /// Monotonic second of the last transport warning: at most one per second, so an
    /// unreachable collector cannot flood the log from every request.
    private let lastWarning = Atomic<Int64>(Int64.min)
    private let suppressed = Atomic<Int>(0)

    /// Discards everything; with `logIfUnconfigured`, logs each line at DEBUG first.
    public init(nullLoggingLines logIfUnconfigured: Bool = false, logger: Logger = MetricsTransport.defaultLogger) {
        kind = .null(logIfUnconfigured: logIfUnconfigured)
        coalescedLimit = Self.networkDatagramLimit
        self.logger = logger
    }

    /// Opens a datagram socket connected to `endpoint` (host names are resolved once, now).
    /// - Throws: ``ConfigValueError`` when the endpoint cannot be resolved or connected.
    public init(endpoint: Endpoint, swallowNetworkErrors: Bool = false, logger: Logger = MetricsTransport.defaultLogger) throws {
        let fd = try Self.connect(endpoint)
        kind = .socket(fd: fd, swallowNetworkErrors: swallowNetworkErrors)
        coalescedLimit = Self.datagramLimit(of: fd)
        self.logger = logger
    }

    deinit {
        if case .socket(let fd, _) = kind { close(fd) }
    }

    /// baseplate.py's logger name for everything about metrics sending.
    public static let defaultLogger = Logger(label: "baseplate.lib.metrics")

    var isNull: Bool {
        if case .null = kind { return true }
        return false
    }

    /// A batch's datagram. On a server loop, batches small enough are coalesced: the loop sends
    /// everything its requests produced in one iteration as few datagrams of whole lines, at most
    /// `coalescedLimit` bytes each, before it next waits for I/O (`LoopContext.flushStatsd`).
    /// One `sendto` per request was a third of a small request's CPU (perf/RESULTS.md); the
    /// lines are the same, and statsd reads a datagram line by line.
    func send(batch datagram: [UInt8]) -> Outcome {
        if datagram.count <= coalescedLimit, let outbox = loopOutbox {
            outbox.append(datagram, for: self)
            return .sent
        }
        return send(datagram)
    }

    /// The calling loop's outbox, when batches sent from here are coalesced there.
    var loopOutbox: StatsdOutbox? {
        guard case .socket = kind else { return nil }
        return LoopGroup.current?.statsd
    }

    /// The largest coalesced datagram (see `datagramLimit(peer:)`).
    let coalescedLimit: Int

    /// Over a network: what fits one Ethernet frame, as statsd clients send by default. To a
    /// collector on this host (loopback, or a UNIX socket): 8 KiB, which every common collector
    /// reads whole (dogstatsd's default buffer is the smallest), so a busy loop sends ~6 times
    /// fewer datagrams: at 64 connections × 8 in flight, −0.1 µs of system time per request and
    /// +2–4 % req/s (perf/ab, perf/RESULTS.md).
    static let networkDatagramLimit = 1432
    static let localDatagramLimit = 8192

    /// The limit for a socket connected to `peer` (a `sockaddr` of `length` bytes).
    static func datagramLimit(peer: UnsafeRawPointer, length: Int) -> Int {
        switch Int32(peer.load(as: sockaddr.self).sa_family) {
        case AF_UNIX:
            return localDatagramLimit
        case AF_INET where length >= MemoryLayout<sockaddr_in>.size:
            let address = peer.load(as: sockaddr_in.self).sin_addr.s_addr
            return UInt32(bigEndian: address) >> 24 == 127 ? localDatagramLimit : networkDatagramLimit
        case AF_INET6 where length >= MemoryLayout<sockaddr_in6>.size:
            let bytes = withUnsafeBytes(of: peer.load(as: sockaddr_in6.self).sin6_addr) { Array($0) }
            let loopback = bytes[..<15].allSatisfy { $0 == 0 } && bytes[15] == 1
            let mappedV4Loopback = bytes[..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
                && bytes[12] == 127
            return loopback || mappedV4Loopback ? localDatagramLimit : networkDatagramLimit
        default:
            return networkDatagramLimit
        }
    }

    /// `datagramLimit(peer:)` of the socket's connected address.
    private static func datagramLimit(of fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard rc == 0 else { return networkDatagramLimit }
        return withUnsafeBytes(of: &storage) { datagramLimit(peer: $0.baseAddress!, length: Int(length)) }
    }

    /// Sends one datagram. `EMSGSIZE` is the caller's to report (a batch names its top
    /// counters); every other failure is reported here.
    func send(_ datagram: [UInt8]) -> Outcome {
        datagram.withUnsafeBytes { send($0) }
    }

    func send(_ datagram: UnsafeRawBufferPointer) -> Outcome {
        switch kind {
        case .null(let logIfUnconfigured):
            if logIfUnconfigured && logger.logLevel <= .debug {
                for line in datagram.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                    logger.debug("Would send metric \(PythonBytes.repr(line))")
                }
            }
            return .sent
        case .socket(let fd, let swallow):
            let n = Glibc.send(fd, datagram.baseAddress, datagram.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
            if n >= 0 { return .sent }
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK {
                warnRateLimited("Metrics socket buffer full: dropped a datagram of \(datagram.count) bytes")
                return .failed(errno: code)
            }
            if swallow {
                // baseplate.py: logger.exception("Failed to send to metrics collector"), then on.
                errorRateLimited("Failed to send to metrics collector", errno: code)
                return .failed(errno: code)
            }
            if code == EMSGSIZE { return .tooLarge }
            warnRateLimited("Failed to send metrics batch: \(Self.osErrorText(code))")
            return .failed(errno: code)
        }
    }

    func warnRateLimited(_ message: @autoclosure () -> String) {
        if let dropped = mayLog() {
            logger.warning("\(message())", metadata: dropped > 0 ? ["suppressed": "\(dropped)"] : nil)
        }
    }

    private func errorRateLimited(_ message: String, errno code: Int32) {
        if let dropped = mayLog() {
            var metadata: Logger.Metadata = ["error": "\(Self.osErrorText(code))"]
            if dropped > 0 { metadata["suppressed"] = "\(dropped)" }
            logger.error("\(message)", metadata: metadata)
        }
    }

    /// nil when a warning was logged less than a second ago (counted as suppressed); otherwise
    /// how many were suppressed since the last one.
    private func mayLog() -> Int? {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let second = Int64(now.tv_sec)
        let last = lastWarning.load(ordering: .relaxed)
        guard second != last, lastWarning.compareExchange(expected: last, desired: second, ordering: .relaxed).exchanged else {
            suppressed.add(1, ordering: .relaxed)
            return nil
        }
        return suppressed.exchange(0, ordering: .relaxed)
    }

    /// Python's `str(OSError)`: `[Errno 111] Connection refused`.
    static func osErrorText(_ code: Int32) -> String {
        "[Errno \(code)] \(String(cString: strerror(code)))"
    }

    private static func connect(_ endpoint: Endpoint) throws -> Int32 {
        let flags = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        switch endpoint {
        case .unix(let path):
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
                throw ConfigValueError("socket path too long: \(path)")
            }
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
            let fd = socket(AF_UNIX, flags, 0)
            guard fd >= 0 else { throw ConfigValueError(osErrorText(errno)) }
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            if rc != 0 {
                let code = errno
                close(fd)
                throw ConfigValueError(osErrorText(code))
            }
            return fd
        case .inet(let host, let port):
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
            var found: UnsafeMutablePointer<addrinfo>?
            let rc = getaddrinfo(host, String(port), &hints, &found)
            guard rc == 0, let first = found else {
                throw ConfigValueError("cannot resolve \(endpoint): \(String(cString: gai_strerror(rc)))")
            }
            defer { freeaddrinfo(found) }
            var lastError: Int32 = 0
            var candidate: UnsafeMutablePointer<addrinfo>? = first
            while let info = candidate {
                candidate = info.pointee.ai_next
                let fd = socket(info.pointee.ai_family, flags, 0)
                if fd < 0 { lastError = errno; continue }
                if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
                lastError = errno
                close(fd)
            }
            throw ConfigValueError("cannot connect to \(endpoint): \(osErrorText(lastError))")
        }
    }
}

/// Python's `repr()` of a bytes object (as in `Would send metric b'ns.x:1|c'`).
enum PythonBytes {
    static func repr(_ bytes: some Collection<UInt8>) -> String {
        let quote: UInt8 = bytes.contains(UInt8(ascii: "'")) && !bytes.contains(UInt8(ascii: "\"")) ? UInt8(ascii: "\"") : UInt8(ascii: "'")
        var out = "b" + String(UnicodeScalar(quote))
        for b in bytes {
            switch b {
            case UInt8(ascii: "\\"): out += "\\\\"
            case quote: out += "\\" + String(UnicodeScalar(b))
            case UInt8(ascii: "\t"): out += "\\t"
            case UInt8(ascii: "\n"): out += "\\n"
            case UInt8(ascii: "\r"): out += "\\r"
            case 0x20..<0x7F: out.unicodeScalars.append(UnicodeScalar(b))
            default:
                let hex = Array("0123456789abcdef")
                out += "\\x" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 15)])
            }
        }
        return out + String(UnicodeScalar(quote))
    }
}
