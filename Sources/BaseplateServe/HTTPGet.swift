import Baseplate

#if canImport(Glibc)
import Glibc
#endif

/// The one HTTP request the health check makes, over TCP or a UNIX socket (HTTP/1.0, so the
/// server closes when done and the body is everything after the headers).
enum HTTPGet {
    static func get(_ endpoint: Endpoint, path: String) throws -> (status: Int, body: [UInt8]) {
        let fd = try connect(endpoint)
        defer { close(fd) }
        let host = if case .inet(let h, let p) = endpoint { "\(h):\(p)" } else { "localhost" }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: \(host)\r\nAccept: application/json\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            throw CheckFailed(message: "ConnectionError: cannot send the request")
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { break }
            response += chunk[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let statusLine = text.split(separator: "\r\n").first,
              let status = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            throw CheckFailed(message: "ConnectionError: no HTTP response")
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        var bodyStart = response.count
        if response.count >= 4 {
            for i in 0...(response.count - 4) where Array(response[i..<(i + 4)]) == separator {
                bodyStart = i + 4
                break
            }
        }
        return (status, Array(response[bodyStart...]))
    }

    private static func connect(_ endpoint: Endpoint) throws -> Int32 {
        switch endpoint {
        case .unix(let path):
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
                throw CheckFailed(message: "ConnectionError: socket path too long")
            }
            withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard rc == 0 else {
                close(fd)
                throw CheckFailed(message: "ConnectionError: \(path): \(String(cString: strerror(errno)))")
            }
            return fd
        case .inet(let host, let port):
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var res: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, "\(port)", &hints, &res) == 0, let ai = res else {
                throw CheckFailed(message: "ConnectionError: cannot resolve \(host)")
            }
            defer { freeaddrinfo(res) }
            let fd = socket(ai.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
            guard Glibc.connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 else {
                close(fd)
                throw CheckFailed(message: "ConnectionError: \(host):\(port): \(String(cString: strerror(errno)))")
            }
            return fd
        }
    }
}
