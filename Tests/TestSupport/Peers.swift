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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path(name))
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (String(decoding: data, as: UTF8.self), process.terminationStatus)
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
