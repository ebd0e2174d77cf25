import Logging

#if canImport(Glibc)
import Glibc
#endif

/// SIGUSR1's thread listing: every thread of the process with its name, scheduler state and
/// the kernel function it waits in (from /proc), one WARNING line each.
enum ThreadDump {
    static func log(_ logger: Logger) {
        guard let dir = opendir("/proc/self/task") else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let tid = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let id = Int(tid) else { continue }
            let name = read("/proc/self/task/\(id)/comm")
            let wchan = read("/proc/self/task/\(id)/wchan")
            let stat = read("/proc/self/task/\(id)/stat")
            // The state letter follows the parenthesised name in /proc/.../stat.
            let state = stat.split(separator: ")").last?.split(separator: " ").first.map(String.init) ?? "?"
            logger.warning("thread \(id) \(name): state \(state), waiting in \(wchan.isEmpty || wchan == "0" ? "-" : wchan)")
        }
    }

    private static func read(_ path: String) -> String {
        guard let f = fopen(path, "r") else { return "" }
        defer { fclose(f) }
        var buf = [CChar](repeating: 0, count: 512)
        let n = fread(&buf, 1, buf.count - 1, f)
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .trimmingCharacters(in: "\n")
    }
}

extension String {
    func trimmingCharacters(in c: Character) -> String {
        var s = Substring(self)
        while s.last == c { s.removeLast() }
        return String(s)
    }
}
