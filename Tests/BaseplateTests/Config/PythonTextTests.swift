import Testing
@testable import Baseplate

/// The Python text rules behind the error texts (golden values from CPython 3.11).
struct ConfigPythonTextTests {
    @Test func repr() {
        #expect(PythonText.repr("abc") == "'abc'")
        #expect(PythonText.repr("it's") == "\"it's\"")
        #expect(PythonText.repr("it's \"q\"") == "'it\\'s \"q\"'")
        #expect(PythonText.repr("a\tb\nc\\") == "'a\\tb\\nc\\\\'")
        #expect(PythonText.repr("\u{0}\u{7F}\u{A0}\u{E9}\u{2028}\u{1F600}") == "'\\x00\\x7f\\xa0\u{E9}\\u2028\u{1F600}'")
    }

    @Test func whitespace() {
        #expect(PythonText.strip("\u{A0}\t x \u{3000}\u{1C}") == "x")
        #expect(PythonText.strip("\u{200B}x") == "\u{200B}x")  // not whitespace in Python
        #expect(PythonText.split(" 3\u{A0}\u{A0}days \n") == ["3", "days"])
    }

    @Test func int() {
        func int(_ s: String, _ base: Int = 10) -> Int? { try? PythonText.parseInt(s, base: base).get() }
        #expect(int("\u{663}\u{664}") == 34)
        #expect(int("0b101", 0) == 5)
        #expect(int("0B101", 2) == 5)
        #expect(int("z", 36) == 35)
        #expect(int("0_0", 0) == 0)
        #expect(int("1_") == nil)
        #expect(int("_1") == nil)
        #expect(int("1 2") == nil)
        #expect(int("9223372036854775807") == Int.max)
        #expect(int("-9223372036854775808") == Int.min)
        let long = String(repeating: "x", count: 300)
        #expect(throws: ConfigValueError("invalid literal for int() with base 10: '\(String(repeating: "x", count: 199))")) {
            try PythonText.parseInt(long).get()
        }
        #expect(throws: ConfigValueError("integer out of range (64 bits): '9223372036854775808'")) {
            try PythonText.parseInt("9223372036854775808").get()
        }
    }

    @Test func float() {
        func float(_ s: String) -> Double? { try? PythonText.parseFloat(s).get() }
        #expect(float("1_000.5") == 1000.5)
        #expect(float("1e1_0") == 1e10)
        #expect(float("+.5e-3") == 0.0005)
        #expect(float("1.") == 1)
        #expect(float("Infinity") == .infinity)
        #expect(float("1e500") == .infinity)
        #expect(float("\u{663}.\u{665}") == 3.5)
        #expect(float("1__0") == nil)
        #expect(float("1_.0") == nil)
        #expect(float("e5") == nil)
        #expect(float(".") == nil)
        #expect(float("0x1p3") == nil)
        #expect(float("in f") == nil)
    }
}
