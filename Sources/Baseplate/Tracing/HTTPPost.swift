#if canImport(Glibc)
import Glibc
#endif

/// The one HTTP request the remote span recorder makes: a JSON POST with a deadline, on the
/// recorder's thread (blocking calls are fine there, never on a loop).
enum HTTPPost {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Returns the response's status code.
    static func post(_ body: [UInt8], to target: Endpoint, path: String, timeout: Duration) throws -> Int {
        let deadline = ContinuousClock.now + timeout
        let fd = try connect(target, deadline: deadline)
        defer { close(fd) }
        let host = if case .inet(let h, let p) = target { h.contains(":") ? "[\(h)]:\(p)" : "\(h):\(p)" } else { "localhost" }
        var request = Array("""
            POST \(path) HTTP/1.1\r
            Host: \(host)\r
            User-Agent: baseplate-swift\r
            Content-Type: application/json\r
            Content-Length: \(body.count)\r
            Connection: close\r
            \r

            """.utf8)
        request += body
        var sent = 0
        while sent < request.count {
            try wait(fd, for: Int16(POLLOUT), until: deadline)
            let n = request.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw Failure(description: "send: \(String(cString: strerror(errno)))")
            }
            sent += n
        }
        // Only the status line matters; read until it is complete.
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while !response.contains(0x0A) {
            try wait(fd, for: Int16(POLLIN), until: deadline)
            let n = recv(fd, &chunk, chunk.count, 0)
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                throw Failure(description: "recv: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            response += chunk[0..<n]
        }
        let line = String(decoding: response.prefix { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self)
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            throw Failure(description: "no HTTP response")
        }
        return status
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
