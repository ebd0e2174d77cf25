import Foundation
import TestSupport

/// Python (the repository's `.venv`, where baseplate==2.7.0 and CPython 3.11 live) as an
/// optional oracle: tests that use it are skipped when it is not there (`make test` runs the
/// Swift tests before it creates the venv); the golden expectations in the other tests do not
/// need it.
enum PythonOracle {
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var python: String? {
        let path = repositoryRoot + "/.venv/bin/python"
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    static var available: Bool { python != nil }

    /// Runs `script` with `input` on stdin and the given environment; returns stdout lines.
    static func run(_ script: String, input: Data, environment: [String: String]) throws -> [String] {
        guard let python else { throw OracleError(message: "no python") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bp-config-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let scriptURL = directory.appendingPathComponent("oracle.py")
        try script.write(to: scriptURL, atomically: true, encoding: .utf8)
        let inputURL = directory.appendingPathComponent("input.json")
        try input.write(to: inputURL)

        let (output, status) = try runProgram(
            python, [scriptURL.path, inputURL.path, directory.path],
            environment: environment.merging(["PYTHONIOENCODING": "utf-8", "PYTHONUTF8": "1"]) { a, _ in a })
        guard status == 0 else { throw OracleError(message: "python exited \(status)") }
        return output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    struct OracleError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
