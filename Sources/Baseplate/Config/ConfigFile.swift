#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file named by configuration: the value of ``ConfigParser/file(mode:)``
/// (baseplate.py's `config.File` returns an open file object). Closed on ``close()`` or when
/// the last reference goes away.
public final class ConfigFile {
    /// The path as written in the configuration.
    public let path: String
    private var handle: UnsafeMutablePointer<FILE>?

    init(path: String, handle: UnsafeMutablePointer<FILE>) {
        self.path = path
        self.handle = handle
    }

    deinit { close() }

    /// Reads the rest of the file as UTF-8 text.
    public func read() -> String {
        String(decoding: readBytes(), as: UTF8.self)
    }

    /// Reads the rest of the file.
    public func readBytes() -> [UInt8] {
        guard let handle else { return [] }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, handle)
            if n > 0 { data.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count { break }
        }
        return data
    }

    /// Writes text (UTF-8) to the file; returns false on a write error.
    @discardableResult
    public func write(_ text: String) -> Bool {
        guard let handle else { return false }
        var text = text
        return text.withUTF8 { buffer in
            buffer.isEmpty || fwrite(buffer.baseAddress, 1, buffer.count, handle) == buffer.count
        }
    }

    /// Flushes and closes the file.
    public func close() {
        if let handle { fclose(handle) }
        handle = nil
    }
}

extension ConfigParser where Value == ConfigFile {
    /// `config.File(mode=...)`: opens the file at the path given, with Python's `open()` mode
    /// letters (`r`, `w`, `a`, `x`, `+`, `b`, `t`). Error: `could not open file: <path>`, or
    /// `invalid mode: '<mode>'`.
    public static func file(mode: String = "r") -> ConfigParser<ConfigFile> {
        ConfigParser { path in
            guard let cMode = ConfigFileMode.fopenMode(mode) else {
                throw ConfigValueError("invalid mode: \(PythonText.repr(mode))")
            }
            guard !path.isEmpty, !path.contains("\0"), let handle = fopen(path, cMode) else {
                throw ConfigValueError("could not open file: \(path)")
            }
            return ConfigFile(path: path, handle: handle)
        }
    }
}

enum ConfigFileMode {
    /// Python's `open()` mode as an `fopen` mode (close-on-exec, like Python's files), or nil
    /// when Python would reject it.
    static func fopenMode(_ mode: String) -> String? {
        var counts: [Character: Int] = [:]
        for c in mode {
            guard "rwaxbt+".contains(c) else { return nil }
            counts[c, default: 0] += 1
        }
        guard counts.values.allSatisfy({ $0 == 1 }) else { return nil }
        let bases = "rwax".filter { counts[$0] != nil }
        guard bases.count == 1, !(counts["b"] != nil && counts["t"] != nil) else { return nil }
        let plus = counts["+"] != nil ? "+" : ""
        switch bases.first! {
        case "x": return "w\(plus)xe"
        case let c: return "\(c)\(plus)e"
        }
    }
}
