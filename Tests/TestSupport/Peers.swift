import Foundation

/// The C++ peers built by `make peers` (Tests/Peers) against Debian's libthrift.
public enum Peers {
    public static var directory: String {
        if let dir = ProcessInfo.processInfo.environment["BPIO_PEERS"] { return dir }
        // `swift test` run by hand from the repository root.
        return FileManager.default.currentDirectoryPath + "/.build/peers"
    }

    public static func path(_ name: String) -> String { directory + "/" + name }

    /// Runs a peer and returns its standard output; fails the test if it cannot run.
    public static func run(_ name: String, _ arguments: [String] = []) throws -> (output: String, status: Int32) {
        try runProgram(path(name), arguments)
    }

    /// `golden`'s cases: name → bytes.
    public static func golden() throws -> [String: [UInt8]] {
        let (output, status) = try run("golden")
        guard status == 0 else { throw PeerError(message: "golden exited \(status)") }
        var cases: [String: [UInt8]] = [:]
        for line in output.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count == 2 else { continue }
            cases[String(parts[0])] = hexBytes(String(parts[1]))
        }
        return cases
    }
}

public func hexBytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = hex.utf8.makeIterator()
    func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
    while let hi = it.next(), let lo = it.next() { out.append(nibble(hi) << 4 | nibble(lo)) }
    return out
}

public func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

public struct PeerError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

#if canImport(Glibc)
import Glibc
#endif

/// A peer server started for a test: spawned directly (posix_spawn), its first stdout line read,
/// killed and reaped when the test is done. Foundation's Process is avoided here because its
/// exit monitoring can stall when the spawning task hops between executors.
public final class PeerServer {
    public let pid: pid_t
    public let firstLine: String

    public init(_ name: String, _ arguments: [String]) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw PeerError(message: "pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attr, &none)  // whatever the spawning thread blocks
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK))
        let path = Peers.path(name)
        var argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, &attr, &argv, environ)
        for p in argv { free(p) }
        posix_spawn_file_actions_destroy(&actions)
        posix_spawnattr_destroy(&attr)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw PeerError(message: "cannot start \(path): \(String(cString: strerror(rc)))")
        }
        pid = child
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(fds[0], &byte, 1) == 1, byte != 10 { line.append(byte) }
        close(fds[0])
        firstLine = String(decoding: line, as: UTF8.self)
    }

    /// The port from a `listening <port>` line.
    public var port: Int? { firstLine.split(separator: " ").last.flatMap { Int($0) } }

    deinit {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
