#if canImport(Glibc)
import Glibc
#endif

import CBaseplateIO
import Logging

/// SIGUSR1's thread dump: the stack of every thread of the process, one WARNING line per frame,
/// with Swift symbols demangled. Each thread walks its own stack when asked by a real-time
/// signal (see bpio_stacks.h); a thread that does not answer is listed without frames.
enum ThreadDump {
    static func install() {
        _ = bpio_stacks_install()
    }

    static func log(_ logger: Logger) {
        final class Sink {
            let logger: Logger
            init(_ logger: Logger) { self.logger = logger }
        }
        let sink = Sink(logger)
        withExtendedLifetime(sink) {
            bpio_stacks_dump({ ctx, tid, name, depth, text in
                let logger = Unmanaged<Sink>.fromOpaque(ctx!).takeUnretainedValue().logger
                let thread = "thread \(tid) \(name.map { String(cString: $0) } ?? "")"
                guard let text else {
                    logger.warning("\(thread): stack not available")
                    return
                }
                logger.warning("\(thread) #\(depth) \(ThreadDump.readable(String(cString: text)))")
            }, Unmanaged.passUnretained(sink).toOpaque())
        }
    }

    /// `binary(symbol+0x12) [0xaddr]` with the symbol demangled when it is Swift's.
    static func readable(_ frame: String) -> String {
        guard let open = frame.firstIndex(of: "("), let plus = frame[open...].firstIndex(of: "+"),
              frame[frame.index(after: open)...].hasPrefix("$s") else { return frame }
        let symbol = String(frame[frame.index(after: open)..<plus])
        guard let demangled = demangle(symbol) else { return frame }
        return String(frame[..<open]) + "(" + demangled + frame[plus...]
    }

    private static func demangle(_ symbol: String) -> String? {
        symbol.withCString { p -> String? in
            guard let out = swiftDemangle(p, strlen(p), nil, nil, 0) else { return nil }
            defer { free(out) }
            return String(cString: out)
        }
    }
}

@_silgen_name("swift_demangle")
private func swiftDemangle(_ mangled: UnsafePointer<CChar>?, _ length: Int,
                           _ output: UnsafeMutablePointer<CChar>?, _ outputSize: UnsafeMutablePointer<Int>?,
                           _ flags: UInt32) -> UnsafeMutablePointer<CChar>?
