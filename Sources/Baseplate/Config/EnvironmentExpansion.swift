#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `os.path.expandvars`, as baseplate.py applies it to every value it reads from the INI file:
/// `$NAME` (ASCII letters, digits, `_`) and `${anything but a brace}` are replaced by the
/// variable's value when it is set (even to ""); otherwise they stay as written. Replacements
/// are not expanded again, and there is no escape for `$`.
enum EnvironmentExpansion {
    static func expand(_ value: String, _ environment: [String: String]) -> String {
        guard value.contains("$") else { return value }
        let u = Array(value.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        func isWord(_ c: Unicode.Scalar) -> Bool {
            c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
        }
        while i < u.count {
            guard u[i] == "$", i + 1 < u.count else {
                out.append(u[i]); i += 1
                continue
            }
            var end: Int? = nil
            var name: ArraySlice<Unicode.Scalar> = []
            if u[i + 1] == "{" {
                if let close = u[(i + 2)...].firstIndex(of: "}") {
                    name = u[(i + 2)..<close]
                    end = close + 1
                }
            } else if isWord(u[i + 1]) {
                var j = i + 1
                while j < u.count, isWord(u[j]) { j += 1 }
                name = u[(i + 1)..<j]
                end = j
            }
            guard let end else {
                out.append(u[i]); i += 1
                continue
            }
            if let replacement = environment[String(String.UnicodeScalarView(name))] {
                out.append(contentsOf: replacement.unicodeScalars)
            } else {
                out.append(contentsOf: u[i..<end])
            }
            i = end
        }
        return String(out)
    }

    /// This process's environment (the first of duplicate names wins, as in `os.environ`).
    static func current() -> [String: String] {
        var env: [String: String] = [:]
        let start: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
        guard var p = start else { return env }
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "="), env[String(s[..<eq])] == nil {
                env[String(s[..<eq])] = String(s[s.index(after: eq)...])
            }
            p += 1
        }
        return env
    }
}
