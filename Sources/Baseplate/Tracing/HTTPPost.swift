#if canImport(Glibc)
import Glibc
#endif

/// The one HTTP request the remote span recorder makes: a JSON POST with a deadline, on the
/// recorder's thread (blocking calls are fine there, never on a loop). The connection is kept
/// between POSTs when the collector allows it (HTTP/1.1 keep-alive, as baseplate.py's requests
/// session does): a connection per POST cost the CPU the server shares a handshake and a
/// teardown each time, which showed in its p99 (perf/RESULTS.md).
final class HTTPPost {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        /// Nothing came back on a kept connection: the collector closed it while idle.
        var stale = false
    }

    let target: Endpoint
    private var fd: Int32 = -1

    init(target: Endpoint) { self.target = target }

    deinit { disconnect() }

    private func disconnect() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    /// POSTs `body` as JSON; returns the response's status code.
    func post(_ body: [UInt8], path: String, timeout: Duration) throws -> Int {
        let deadline = ContinuousClock.now + timeout
        let host = if case .inet(let h, let p) = target { h.contains(":") ? "[\(h)]:\(p)" : "\(h):\(p)" } else { "localhost" }
        var request = Array("""
            POST \(path) HTTP/1.1\r
            Host: \(host)\r
            User-Agent: baseplate-swift\r
            Content-Type: application/json\r
            Content-Length: \(body.count)\r
            \r

            """.utf8)
        request += body
        let reused = fd >= 0
        do {
            return try exchange(request, deadline: deadline)
        } catch let failure as Failure where reused && failure.stale {
            return try exchange(request, deadline: deadline)  // once, on a new connection
        }
    }

    private func exchange(_ request: [UInt8], deadline: ContinuousClock.Instant) throws -> Int {
        do {
            if fd < 0 { fd = try Self.connect(target, deadline: deadline) }
            try send(request, deadline: deadline)
            let (status, keep) = try readResponse(deadline: deadline)
            if !keep { disconnect() }
            return status
        } catch {
            disconnect()
            throw error
        }
    }

    private func send(_ request: [UInt8], deadline: ContinuousClock.Instant) throws {
        var sent = 0
        while sent < request.count {
            try Self.wait(fd, for: Int16(POLLOUT), until: deadline)
            let n = request.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                let stale = errno == EPIPE || errno == ECONNRESET
                throw Failure(description: "send: \(String(cString: strerror(errno)))", stale: stale)
            }
            sent += n
        }
    }

    /// Reads the status line, the headers and the body (discarded). Returns the status and
    /// whether the connection may carry the next POST.
    private func readResponse(deadline: ContinuousClock.Instant) throws -> (Int, Bool) {
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var head: (end: Int, HTTPResponseHead)?
        var searched = 0  // where the blank line's search resumes
        while true {
            if head == nil, let end = Self.blankLine(in: response, from: searched) {
                guard let parsed = HTTPResponseHead(response[..<end]) else {
                    throw Failure(description: "no HTTP response")
                }
                head = (end + 4, parsed)
            }
            searched = max(0, response.count - 3)
            if let (end, parsed) = head, !parsed.keepAlive || response.count - end >= parsed.contentLength! {
                return (parsed.status, parsed.keepAlive)
            }
            try Self.wait(fd, for: Int16(POLLIN), until: deadline)
            let n = recv(fd, &chunk, chunk.count, 0)
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw Failure(description: "recv: \(String(cString: strerror(errno)))", stale: response.isEmpty && errno == ECONNRESET)
            }
            if n == 0 {
                if let (_, parsed) = head { return (parsed.status, false) }
                throw Failure(description: "no HTTP response", stale: response.isEmpty)
            }
            response += chunk[0..<n]
        }
    }

    /// Where the head's closing CRLF CRLF starts, searching from `start`.
    private static func blankLine(in bytes: [UInt8], from start: Int) -> Int? {
        guard start <= bytes.count - 4 else { return nil }  // also nothing new since the last search
        return (start...(bytes.count - 4)).first {
            bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10
        }
    }

    private static func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant) throws {
        while true {
            let left = deadline - .now
            guard left > .zero else { throw Failure(description: "timed out") }
            let ms = Int32(min(left.wholeMilliseconds + 1, 60_000))
            var p = pollfd(fd: fd, events: events, revents: 0)
            let rc = poll(&p, 1, ms)
            if rc > 0 { return }
            if rc < 0 && errno != EINTR { throw Failure(description: "poll: \(String(cString: strerror(errno)))") }
        }
    }

    private static func connect(_ target: Endpoint, deadline: ContinuousClock.Instant) throws -> Int32 {
        let fd: Int32
        let rc: Int32
        switch target {
        case .unix(let path):
            fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
                close(fd)
                throw Failure(description: "socket path too long")
            }
            withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
            rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        case .inet(let host, let port):
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var res: UnsafeMutablePointer<addrinfo>?
            let gai = getaddrinfo(host, "\(port)", &hints, &res)
            guard gai == 0, let ai = res else {
                throw Failure(description: "cannot resolve \(host): \(String(cString: gai_strerror(gai)))")
            }
            defer { freeaddrinfo(res) }
            fd = socket(ai.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
            rc = Glibc.connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen)
        }
        if rc != 0 {
            guard errno == EINPROGRESS else {
                let text = String(cString: strerror(errno))
                close(fd)
                throw Failure(description: "connect \(target): \(text)")
            }
            do {
                try wait(fd, for: Int16(POLLOUT), until: deadline)
            } catch {
                close(fd)
                throw error
            }
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            if err != 0 {
                close(fd)
                throw Failure(description: "connect \(target): \(String(cString: strerror(err)))")
            }
        }
        return fd
    }
}
