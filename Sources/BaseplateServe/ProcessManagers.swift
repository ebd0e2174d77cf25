import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Einhorn (https://github.com/contribsys/einhorn) hands workers a bound socket and expects a
/// manual ACK once the worker is ready, as baseplate.py's `baseplate.server.einhorn` does.
enum Einhorn {
    /// The worker's listening fd, when this process is an Einhorn worker that was given one.
    static func listenerFD(_ env: [String: String]) -> Int32? {
        guard isWorker(env), let count = env["EINHORN_FD_COUNT"].flatMap(Int.init), count > 0,
              let fd = env["EINHORN_FD_0"].flatMap(Int32.init) else { return nil }
        return fd
    }

    /// baseplate.py: a worker is a process whose parent is EINHORN_MASTER_PID.
    static func isWorker(_ env: [String: String]) -> Bool {
        guard let master = env["EINHORN_MASTER_PID"].flatMap(Int32.init) else { return false }
        return getppid() == master
    }

    /// Sends `{"command": "worker:ack", "pid": N}` and a newline to EINHORN_SOCK_PATH (Python's
    /// json.dumps spacing, as Einhorn's master sees from baseplate.py).
    static func ack(_ env: [String: String]) throws {
        guard let path = env["EINHORN_SOCK_PATH"] else {
            throw StartupError(message: "Einhorn worker without EINHORN_SOCK_PATH: cannot ACK", code: 1)
        }
        let message = "{\"command\": \"worker:ack\", \"pid\": \(getpid())}\n"
        try UnixSocket.send(message, to: path, type: Int32(SOCK_STREAM.rawValue))
    }
}

/// systemd socket activation (LISTEN_FDS/LISTEN_PID) and readiness notification (NOTIFY_SOCKET).
enum Systemd {
    /// The first passed socket (fd 3) when systemd activated this process.
    static func listenerFD(_ env: [String: String]) -> Int32? {
        guard let pid = env["LISTEN_PID"].flatMap(Int32.init), pid == getpid(),
              let count = env["LISTEN_FDS"].flatMap(Int.init), count >= 1 else { return nil }
        return 3
    }

    /// Sends a state line ("READY=1", "STOPPING=1") to NOTIFY_SOCKET when set; a failure is
    /// logged, never fatal (the service works without the notification).
    static func notify(_ state: String, env: [String: String], logger: Logger) {
        guard var path = env["NOTIFY_SOCKET"], !path.isEmpty else { return }
        if path.hasPrefix("@") { path = "\0" + path.dropFirst() }  // abstract namespace
        do {
            try UnixSocket.send(state, to: path, type: Int32(SOCK_DGRAM.rawValue))
        } catch {
            logger.warning("cannot notify systemd: \(error)")
        }
    }
}

enum UnixSocket {
    static func send(_ message: String, to path: String, type: Int32) throws {
        let fd = socket(AF_UNIX, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw StartupError(message: "socket: \(String(cString: strerror(errno)))", code: 1) }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw StartupError(message: "socket path too long: \(path)", code: 1)
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
        let len = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (path.hasPrefix("\0") ? 0 : 1))
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, len) }
        }
        guard rc == 0 else {
            throw StartupError(message: "connect \(path): \(String(cString: strerror(errno)))", code: 1)
        }
        var data = Array(message.utf8)
        var off = 0
        while off < data.count {
            let n = data.withUnsafeMutableBytes { Glibc.send(fd, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw StartupError(message: "send to \(path): \(String(cString: strerror(errno)))", code: 1) }
            off += n
        }
        _ = data.count
        data.removeAll()
    }
}
