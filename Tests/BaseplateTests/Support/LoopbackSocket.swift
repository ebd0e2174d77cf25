import Glibc

/// A socket of `type` bound to a free loopback port (listening, for a stream socket): test
/// servers and sinks. Returns the descriptor and the port; throws `TestError` on failure.
func loopbackSocket(_ type: __socket_type) throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(type.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { a in
            bind(fd, a, len) == 0 && (type != SOCK_STREAM || listen(fd, 8) == 0) && getsockname(fd, a, &len) == 0
        }
    }
    guard bound else {
        let error = errno
        close(fd)
        throw TestError("cannot bind a loopback port: errno \(error)")
    }
    return (fd, Int(UInt16(bigEndian: addr.sin_port)))
}
