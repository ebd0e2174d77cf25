import CBaseplateIO

/// Where a span sits in a distributed trace (baseplate.py's `TraceInfo`).
///
/// Ids are opaque strings on the wire; baseplate makes them as the decimal text of random
/// unsigned 64-bit integers, and accepts whatever an upstream sends.
public struct TraceInfo: Sendable, Hashable {
    public var traceID: String
    /// nil or "" for a root span.
    public var parentID: String?
    public var spanID: String
    /// nil: no upstream decision (the tracer samples by rate).
    public var sampled: Bool?
    /// Zipkin flags; bit 1 (`debugFlag`) forces sampling.
    public var flags: UInt64?

    public static let debugFlag: UInt64 = 1

    public init(traceID: String, parentID: String?, spanID: String, sampled: Bool?, flags: UInt64?) {
        self.traceID = traceID
        self.parentID = parentID
        self.spanID = spanID
        self.sampled = sampled
        self.flags = flags
    }

    /// A new root trace: a random id that is both the trace id and the span id.
    public static func new() -> TraceInfo {
        let id = TraceInfo.newID()
        return TraceInfo(traceID: id, parentID: nil, spanID: id, sampled: nil, flags: nil)
    }

    /// A random span id, decimal as baseplate writes them.
    public static func newID() -> String {
        String(bpio_random64())
    }

    /// Whether the debug flag asks for this trace to be recorded whatever the sample rate.
    public var isDebug: Bool { (flags ?? 0) & Self.debugFlag != 0 }
}

/// The headers baseplate reads on every request, found in one pass over them (a lookup per
/// name would rescan the headers each time). Only ids become Strings; the rest is parsed from
/// the bytes (this runs for every request: ~3,000 instructions when each became a String).
struct BaseplateHeaders {
    var trace: SpanIdentifier?
    var parent: SpanIdentifier?
    var span: SpanIdentifier?
    var sampled = false
    /// nil: absent; .some(nil): present but not a decimal 64-bit value.
    var flags: UInt64??
    /// Milliseconds; nil when absent or not a positive number.
    var deadlineBudgetMS: Double?

    init() {}

    init(_ headers: ThriftHeaders) {
        self.init()
        guard headers.count > 0 else { return }
        headers.withStorage { bytes in
            var entries = ThriftHeaders.RawEntries(bytes)
            scan(&entries)
        }
    }

    /// From the C core's headers (the server's path: no copy of them is read).
    init(_ headers: UnsafePointer<bpio_header>?, count: Int) {
        self.init()
        guard let headers, count > 0 else { return }
        var entries = CEntries(headers: headers, count: count)
        scan(&entries)
    }

    private struct CEntries: IteratorProtocol {
        let headers: UnsafePointer<bpio_header>
        let count: Int
        var i = 0

        mutating func next() -> (name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>)? {
            guard i < count else { return nil }
            let h = headers[i]
            i += 1
            return (UnsafeBufferPointer(start: h.key, count: Int(h.key_len)),
                    UnsafeBufferPointer(start: h.value, count: Int(h.value_len)))
        }
    }

    /// One pass over the headers, into `self`. The first of each name wins, as with a lookup.
    private mutating func scan<Entries: IteratorProtocol>(_ entries: inout Entries)
    where Entries.Element == (name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        var seen: UInt8 = 0
        while let (key, value) = entries.next() {
            guard let name = Known(key), seen & name.rawValue == 0 else { continue }
            seen |= name.rawValue
            switch name {
            case .trace: trace = Self.identifier(value)
            case .parent: parent = Self.identifier(value)
            case .span: span = Self.identifier(value)
            case .sampled: sampled = value.count == 1 && value[0] == UInt8(ascii: "1")
            case .flags:
                // Plain digits (the common form), else the slow, lenient way.
                flags = .some(ASCIIDecimal.value(value) ?? UInt64(String(decoding: value, as: UTF8.self).trimmingPythonIntWhitespace))
            case .deadlineBudget:
                let ms = ASCIIDecimal.value(value).map { Double($0) } ?? Double(String(decoding: value, as: UTF8.self))
                // Capped (at ~31,700 years): Duration traps on values it cannot hold (1e300).
                if let ms, ms.isFinite, ms > 0 { deadlineBudgetMS = min(ms, 1e15) }
            }
        }
    }

    private static func identifier(_ value: UnsafeBufferPointer<UInt8>) -> SpanIdentifier {
        SpanIdentifier(bytes: value) ?? .text(String(decoding: value, as: UTF8.self))
    }

    /// The header names read here (case-insensitive), each a bit of the scan's `seen` set.
    private enum Known: UInt8 {
        case span = 1, trace = 2, flags = 4, parent = 8, sampled = 16, deadlineBudget = 32

        init?(_ key: UnsafeBufferPointer<UInt8>) {
            // By length first: most headers are rejected without looking at a byte.
            switch key.count {
            case 4 where Self.matches(key, "span"): self = .span
            case 5 where Self.matches(key, "trace"): self = .trace
            case 5 where Self.matches(key, "flags"): self = .flags
            case 6 where Self.matches(key, "parent"): self = .parent
            case 7 where Self.matches(key, "sampled"): self = .sampled
            // The case bit is set on every byte, so a '-' is checked apart (0x0D would pass).
            case 15 where Self.matches(key, "deadline-budget") && key[8] == UInt8(ascii: "-"): self = .deadlineBudget
            default: return nil
            }
        }

        /// ASCII case-insensitive for letters and '-': `lower` is lower case, `key` has its
        /// length (4...16). Two overlapping loads of 4 or 8 bytes each, compared after setting
        /// every byte's case bit (a letter matches either case; '-' also matches 0x0D, which
        /// callers check apart): a few instructions per name, where a byte loop cost ~10 a
        /// byte (callgrind).
        private static func matches(_ key: UnsafeBufferPointer<UInt8>, _ lower: StaticString) -> Bool {
            let n = key.count
            let k = UnsafeRawPointer(key.baseAddress!), w = UnsafeRawPointer(lower.utf8Start)
            func same<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> Bool {
                let caseBits = T(truncatingIfNeeded: 0x2020_2020_2020_2020 as UInt64)
                return k.loadUnaligned(fromByteOffset: offset, as: T.self) | caseBits
                    == w.loadUnaligned(fromByteOffset: offset, as: T.self)
            }
            return n >= 8
                ? same(0, UInt64.self) && same(n - 8, UInt64.self)
                : same(0, UInt32.self) && same(n - 4, UInt32.self)
        }
    }
}

extension TraceInfo {
    /// The trace a request's THeader headers describe, read as baseplate.py 2.7.0 does: the
    /// server span takes the caller's `Span` id (Zipkin's shared-span model), `Parent` may be
    /// missing, only `Sampled: 1` is true, and `Flags` is a decimal 64-bit value. Returns nil
    /// when `Trace` or `Span` is missing or `Flags` is malformed: the server then starts a new
    /// root trace, as baseplate.py does.
    public init?(headers: ThriftHeaders) {
        let known = BaseplateHeaders(headers)
        guard known.continuesUpstream, let trace = known.trace, let span = known.span else { return nil }
        self.init(traceID: trace.text, parentID: known.parent?.text ?? "", spanID: span.text, sampled: known.sampled,
                  flags: known.flags ?? nil)
    }
}

extension BaseplateHeaders {
    /// Whether the request continues the caller's trace: `Trace` and `Span` sent, and `Flags`,
    /// if sent, a decimal 64-bit value; otherwise it starts a new root (see `TraceInfo(headers:)`).
    /// A test, not an optional copy of the ids: copying the id enums out and destroying the
    /// copy cost ~500 instructions a request (callgrind); callers read the fields in place.
    var continuesUpstream: Bool {
        guard trace != nil, span != nil else { return false }
        if case .some(.none) = flags { return false }
        return true
    }
}

extension String {
    /// Python's int() ignores surrounding whitespace; so does the Flags parse.
    fileprivate var trimmingPythonIntWhitespace: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = lastIndex(where: { !isSpace($0) })!
        return self[start...end]
    }
}
