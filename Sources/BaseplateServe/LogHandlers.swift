import Baseplate
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Logging as baseplate.py configures it: to stderr; JSON lines when stderr is not a terminal
/// (log shippers parse them), `LEVEL    message` on a terminal.
enum LogSetup {
    static func bootstrap(debug: Bool) {
        let level: Logger.Level = debug ? .debug : .info
        let json = isatty(STDERR_FILENO) == 0
        LoggingSystem.bootstrap { label in
            BaseplateLogHandler(label: label, logLevel: level, json: json)
        }
    }

    /// Python's level names, which dashboards and alerts match on.
    static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: "DEBUG"
        case .info, .notice: "INFO"
        case .warning: "WARNING"
        case .error: "ERROR"
        case .critical: "CRITICAL"
        }
    }

    static func write(_ line: String) {
        var line = line
        line.append("\n")
        line.withUTF8 { buf in
            var off = 0
            while off < buf.count {
                let n = Glibc.write(STDERR_FILENO, buf.baseAddress! + off, buf.count - off)
                if n <= 0 { break }
                off += n
            }
        }
    }
}

/// baseplate.py's log format: `%(levelname)-8s %(message)s` on a terminal, JSON lines with
/// python-json-logger's fields (`level` renamed from `levelname`; `traceID`, from a request's
/// `RequestContext.logger`, among the metadata)
/// for log shippers.
struct BaseplateLogHandler: LogHandler {
    let label: String
    let json: Bool
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(label: String, logLevel: Logger.Level, json: Bool) {
        self.label = label
        self.logLevel = logLevel
        self.json = json
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        LogSetup.write(json ? format(event) : plain(event))
    }

    /// The terminal line for one event.
    func plain(_ event: LogEvent) -> String {
        var text = LogSetup.levelName(event.level).padding(to: 8) + " " + event.message.description
        let merged = self.metadata.merging(event.metadata ?? [:]) { $1 }
        if !merged.isEmpty {
            text += " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        return text
    }

    /// The JSON line for one event (without the newline).
    func format(_ event: LogEvent) -> String {
        let (level, message, metadata) = (event.level, event.message, event.metadata)
        let (source, file, function, line) = (event.source, event.file, event.function, event.line)
        var fields: [(String, String)] = [
            ("level", JSON.string(LogSetup.levelName(level))),
            ("message", JSON.string(message.description)),
            ("funcName", JSON.string(function)),
            ("lineno", "\(line)"),
            ("module", JSON.string(source)),
            ("name", JSON.string(label)),
            ("pathname", JSON.string(file)),
            ("process", "\(getpid())"),
            ("processName", JSON.string("MainProcess")),
            ("thread", "\(UInt(bitPattern: Int(pthread_self())))"),
            ("threadName", JSON.string(currentThreadName())),
        ]
        let merged = self.metadata.merging(metadata ?? [:]) { $1 }
        for (k, v) in merged.sorted(by: { $0.key < $1.key }) {
            fields.append((k, JSON.string("\(v)")))
        }
        return "{" + fields.map { "\(JSON.string($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }

    private func currentThreadName() -> String {
        // Linux keeps each thread's name in /proc; the main thread's is the program's name.
        guard let f = fopen("/proc/thread-self/comm", "r") else { return "" }
        defer { fclose(f) }
        var buf = [CChar](repeating: 0, count: 32)
        guard fgets(&buf, Int32(buf.count), f) != nil else { return "" }
        return String(decoding: buf.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

enum JSON {
    /// A JSON string literal (RFC 8259 escapes).
    static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
