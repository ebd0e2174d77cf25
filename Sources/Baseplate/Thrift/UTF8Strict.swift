#if canImport(Glibc)
import Glibc
#endif

/// Strings read off the wire: invalid UTF-8 is an error (as Python's strict decode makes it),
/// never silently repaired.
enum UTF8Strict {
    /// The text of `count` bytes at `start`, or nil if they are not UTF-8. ASCII, which method
    /// names, ids and most strings are, is checked a word at a time and decoded directly; the
    /// standard library's generic validator costs ~1,000 instructions for a 10-byte method name
    /// (callgrind), so it only sees text with non-ASCII bytes.
    static func string(_ start: UnsafeRawPointer?, _ count: Int) -> String? {
        guard let start, count > 0 else { return "" }
        let bytes = UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: count)
        if count >= 64 {
            // Long text: one pass. Decoding checks for ASCII quickly itself, and repairs invalid
            // bytes into U+FFFD, so its bytes equal the input exactly when the input was valid
            // (our ASCII pass first cost ~500 instructions more for 1 KiB; callgrind).
            var text = String(decoding: bytes, as: UTF8.self)
            let same = text.withUTF8 { $0.count == count && memcmp($0.baseAddress!, start, count) == 0 }
            return same ? text : nil
        }
        if isASCII(start, count) { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func isASCII(_ p: UnsafeRawPointer, _ n: Int) -> Bool {
        var i = 0
        var high: UInt64 = 0
        // 32 bytes a round for long strings (a 1 KiB string: ~250 instructions, not ~1,000).
        while i + 32 <= n {
            high |= p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                | p.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)
                | p.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self)
                | p.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self)
            i += 32
        }
        while i + 8 <= n {
            high |= p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < n {
            high |= UInt64(p.load(fromByteOffset: i, as: UInt8.self))
            i += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }
}
