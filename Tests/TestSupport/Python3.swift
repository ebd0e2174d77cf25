import Foundation

/// The system python3, as a reference implementation tests compare against.
public enum Python3 {
    /// Runs `python3 -c script arguments...` and returns its standard output.
    public static func run(_ script: String, _ arguments: [String] = []) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw PeerError(message: "python3 exited \(process.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }
}
