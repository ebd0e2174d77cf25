@testable import BaseplateServe
import Foundation
import Testing

/// The health check's JSON test agrees with Foundation's parser on what is JSON.
struct JSONSyntaxTests {
    @Test(arguments: [
        #"{}"#, #"[]"#, #"{"status": "ok", "n": [1, -2.5e3, 0, true, false, null]}"#, #" "s\u00e9\n" "#, "0",
        "-0.0", #"{"a":{"b":[[],{}]}}"#, "1E+2",
        "", "{", "[1,]", #"{"a" 1}"#, "01", "1.", ".5", "+1", "tru", #""\x""#, "\"a\u{1}\"", "[1] 2", "nul",
        #"{"a":1,}"#, "-", "1e", #""\u12g4""#,
    ])
    func agreesWithFoundation(_ text: String) {
        let foundation = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil
        let ours = (try? JSONSyntax.check(Array(text.utf8))) != nil
        #expect(ours == foundation, "\(text)")
    }
}
