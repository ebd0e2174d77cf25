import Glibc

/// The method names one event loop has dispatched, kept as their UTF-8 bytes: a request's
/// name is matched against them and the String already made is reused, where decoding and
/// validating it again cost ~300 instructions a request (callgrind). Only names of methods the
/// service has are remembered (see `LoopContext.dispatch`), at most `capacity` of them, so
/// clients sending made-up names cannot fill it. Loop thread only.
final class MethodNames: @unchecked Sendable {
    // @unchecked: used on its loop's thread only. @exclusivity(unchecked): the same; the
    // dynamic checks were ~230 instructions a request (callgrind).
    static let capacity = 64

    @exclusivity(unchecked) private var names: [String] = []
    /// The names' bytes back to back; `ends[i]` is where name `i` ends.
    @exclusivity(unchecked) private var bytes: [UInt8] = []
    @exclusivity(unchecked) private var ends: [Int] = []
    /// The last lookup found nothing (the caller may `remember` the name it decoded).
    @exclusivity(unchecked) private(set) var missed = false

    /// The remembered name with these bytes, if any.
    func lookup(_ name: UnsafeRawPointer, count: Int) -> String? {
        let found: Int? = bytes.withUnsafeBytes { all in
            var start = 0
            for i in 0..<ends.count {
                let end = ends[i]
                if end - start == count && memcmp(all.baseAddress! + start, name, count) == 0 { return i }
                start = end
            }
            return nil
        }
        missed = found == nil
        return found.map { names[$0] }
    }

    /// The name these bytes spell: a remembered String, or a new one (strict UTF-8).
    func name(_ bytes: UnsafeRawPointer, count: Int) throws(ThriftProtocolError) -> String {
        if let known = lookup(bytes, count: count) { return known }
        guard let s = UTF8Strict.string(bytes, count) else {
            throw ThriftProtocolError(.invalidData, "invalid UTF-8 in a string")
        }
        return s
    }

    func remember(_ name: String) {
        guard names.count < Self.capacity else { return }
        names.append(name)
        bytes.append(contentsOf: name.utf8)
        ends.append(bytes.count)
        missed = false
    }
}
