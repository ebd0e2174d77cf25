import Foundation

/// Runs a program and returns its standard output and exit status (stderr is inherited).
public func runProgram(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws
    -> (output: String, status: Int32)
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (String(decoding: data, as: UTF8.self), process.terminationStatus)
}

/// The system python3, as a reference implementation tests compare against.
public enum Python3 {
    /// Runs `python3 -c script arguments...` and returns its standard output.
    public static func run(_ script: String, _ arguments: [String] = []) throws -> String {
        let (output, status) = try runProgram("/usr/bin/env", ["python3", "-c", script] + arguments)
        guard status == 0 else { throw PeerError(message: "python3 exited \(status)") }
        return output
    }
}
