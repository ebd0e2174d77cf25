@testable import BaseplateServe
import Foundation
import Testing

/// The health check accepts what baseplate.py's `response.json()` (Python's json module)
/// accepts. Checked against python3 itself.
struct JSONSyntaxTests {
    static func python(_ text: String) throws -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import json,sys\ntry:\n json.loads(sys.stdin.read())\nexcept ValueError:\n sys.exit(1)"]
        let input = Pipe()
        p.standardInput = input
        try p.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    @Test(arguments: [
        #"{}"#, #"[]"#, #"{"status": "ok", "n": [1, -2.5e3, 0, true, false, null]}"#, #" "s\u00e9\n" "#, "0",
        "-0.0", #"{"a":{"b":[[],{}]}}"#, "1E+2",
        "", "{", "[1,]", #"{"a" 1}"#, "01", "1.", ".5", "+1", "tru", #""\x""#, "\"a\u{1}\"", "[1] 2", "nul",
        #"{"a":1,}"#, "-", "1e", #""\u12g4""#,
    ])
    func agreesWithPython(_ text: String) throws {
        let ours = (try? JSONSyntax.check(Array(text.utf8))) != nil
        #expect(ours == (try Self.python(text)), "\(text)")
    }
}
