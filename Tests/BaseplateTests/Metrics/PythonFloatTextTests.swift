import Foundation
import Testing
@testable import Baseplate

/// `%g`, `str()` and `:.0f` of floats against python3 itself, on values python generates when
/// the test runs: random doubles over many magnitudes, values next to rounding ties and powers
/// of ten, and the special ones.
struct PythonFloatTextTests {
    static let script = #"""
        import math, random, struct, sys
        rnd = random.Random(int(sys.argv[1]))
        values = [0.0, -0.0, 1.0, -1.0, 0.5, 1.5, 2.5, 3.14, 3140.0, 4000.0, 0.1, 1e-4, 1e-5, 9.999995e-5,
                  123456.5, 1234565.0, 999999.5, 9999995.0, 99999.95, 0.000123456, 1e16, 1e15, 123456789.0,
                  1.7976931348623157e308, 5e-324, 2.2250738585072014e-308, 1e22, 1e23, 1e-22, 1e-23,
                  float("nan"), float("inf"), float("-inf"), 65536.0, 0.3, 2.675, 1.0000005, 10.000005]
        for _ in range(3000):   # any double: random bits
            v = struct.unpack("<d", struct.pack("<Q", rnd.getrandbits(64)))[0]
            values.append(v)
        for _ in range(3000):   # timer-like milliseconds and rates
            values.append(rnd.uniform(0, 10) * 10 ** rnd.randint(-6, 9))
        for _ in range(2000):   # exactly on and next to 6-digit ties
            d = rnd.randint(100000, 999999) + 0.5
            e = rnd.randint(-12, 12)
            t = d * 10.0 ** (e - 5)
            values += [t, math.nextafter(t, 0), math.nextafter(t, math.inf)]
        for _ in range(500):    # integers, large and small
            values.append(float(rnd.randint(-10**9, 10**9)))
        for v in values:
            print(repr(v), "%g" % v, str(v), "%.0f" % v if v == v and abs(v) != float("inf") else "-")
        """#

    static func python() -> String? {
        for path in [PythonOracle.repositoryRoot + "/.venv/bin/python", "/usr/bin/python3", "/usr/local/bin/python3"]
        where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        return nil
    }

    /// The lines `script` prints, run by python3 with a random seed (returned, for messages).
    static func run(_ script: String) throws -> (lines: [Substring], seed: UInt32) {
        let python = try #require(Self.python(), "python3 is needed (the Makefile installs it)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        let seed = UInt32.random(in: 0...UInt32.max)
        process.arguments = ["-c", script, String(seed)]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        #expect(lines.count > 10_000)
        return (lines, seed)
    }

    @Test func matchesPython() throws {
        let (lines, seed) = try Self.run(Self.script)
        var failures = 0
        for line in lines {
            let f = line.split(separator: " ").map(String.init)
            let value = f[0] == "nan" ? Double.nan : f[0] == "inf" ? .infinity : f[0] == "-inf" ? -.infinity : Double(f[0])!
            let g = PythonFloatText.g(value), s = PythonFloatText.str(value)
            let fixed = f[3] == "-" ? "-" : PythonFloatText.fixed0(value)
            if g != f[1] || s != f[2] || fixed != f[3] {
                failures += 1
                if failures < 20 {
                    Issue.record("seed \(seed): \(f[0]): %g \(g) (python \(f[1])), str \(s) (python \(f[2])), .0f \(fixed) (python \(f[3]))")
                }
            }
        }
        #expect(failures == 0, "seed \(seed)")
    }

    static let timerScript = #"""
        import random, sys
        rnd = random.Random(int(sys.argv[1]))
        values = list(range(1, 2000)) + [999999, 1000000, 1000001, 1234565, 1234575, 12345650, 9999995,
                  99999950, 999999500, 999999499, 999999501, 10**14, 10**15 - 1, 10**15, 10**16]
        for _ in range(4000):   # elapsed nanoseconds over many magnitudes
            values.append(rnd.randint(1, 10 ** rnd.randint(1, 16)))
        for _ in range(2000):   # the digits cut off exactly a half, and next to it
            d, e = rnd.randint(100000, 999999), rnd.randint(1, 9)
            t = (2 * d + 1) * 10 ** e // 2
            values += [t, t - 1, t + 1]
        for v in values:
            print(v, "%g" % (v * 1e-6))
        """#

    /// Timers are formatted from whole nanoseconds without a double; python3 formats the double
    /// `Span.elapsedMilliseconds` gives (`ns * 1e-6`), and the two must agree.
    @Test func millisecondsFromNanosecondsMatchPython() throws {
        let (lines, seed) = try Self.run(Self.timerScript)
        var failures = 0
        for line in lines {
            let f = line.split(separator: " ").map(String.init)
            var text: [UInt8] = []
            PythonFloatText.appendMilliseconds(nanoseconds: Int64(f[0])!, to: &text)
            if String(decoding: text, as: UTF8.self) != f[1] {
                failures += 1
                if failures < 20 { Issue.record("seed \(seed): \(f[0]) ns: \(String(decoding: text, as: UTF8.self)) (python \(f[1]))") }
            }
        }
        #expect(failures == 0, "seed \(seed)")
    }

    @Test func referenceValues() {
        #expect(PythonFloatText.g(3140) == "3140")
        #expect(PythonFloatText.g(3141.59) == "3141.59")
        #expect(PythonFloatText.g(1234567) == "1.23457e+06")
        #expect(PythonFloatText.g(0.5) == "0.5")
        #expect(PythonFloatText.g(-3) == "-3")
    }
}
