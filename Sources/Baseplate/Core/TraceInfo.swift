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
    var userAgent: String?

    init() {}

    init(_ headers: ThriftHeaders) {
        guard headers.count > 0 else { return }
        // One loop over the raw storage with the result local to it: a closure per header
        // capturing these fields cost ~12 exclusivity checks per request.
        self = headers.withStorage { bytes in
            var found = BaseplateHeaders()
            var seen: UInt8 = 0  // the first of each name wins, as with a lookup
            var entries = ThriftHeaders.RawEntries(bytes)
            while let (key, value) = entries.next() {
                let kl = key.count, vl = value.count
                func first(_ name: StaticString, _ bit: UInt8) -> Bool {
                    guard seen & bit == 0,
                          ThriftHeaders.equalsIgnoringCase(key, UnsafeBufferPointer(start: name.utf8Start, count: kl))
                    else { return false }
                    seen |= bit
                    return true
                }
                let text = { String(decoding: value, as: UTF8.self) }
                let id = { SpanIdentifier(bytes: value) ?? .text(text()) }
                switch kl {
                case 4: if first("Span", 1) { found.span = id() }
                case 5:
                    if first("Trace", 2) { found.trace = id() }
                    else if first("Flags", 4) { found.flags = .some(Self.decimal(value) ?? UInt64(text().trimmingPythonIntWhitespace)) }
                case 6: if first("Parent", 8) { found.parent = id() }
                case 7: if first("Sampled", 16) { found.sampled = vl == 1 && value[0] == UInt8(ascii: "1") }
                case 10: if first("User-Agent", 32) { found.userAgent = text() }
                case 15:
                    if first("Deadline-Budget", 64) {
                        let ms = Self.decimal(value).map { Double($0) } ?? Double(text())
                        // Capped (at ~31,700 years): Duration traps on values it cannot hold (1e300).
                        if let ms, ms.isFinite, ms > 0 { found.deadlineBudgetMS = min(ms, 1e15) }
                    }
                default: break
                }
            }
            return found
        }
    }

    /// Plain ASCII digits as a UInt64 (the common form); nil for anything else, which the
    /// caller then parses the slow, lenient way.
    static func decimal(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard !bytes.isEmpty, bytes.count <= 19 else { return nil }
        var value: UInt64 = 0
        for b in bytes {
            guard b >= 48 && b <= 57 else { return nil }
            value = value * 10 + UInt64(b - 48)
        }
        return value
    }
}

extension TraceInfo {
    /// The trace a request's THeader headers describe, read as baseplate.py 2.7.0 does: the
    /// server span takes the caller's `Span` id (Zipkin's shared-span model), `Parent` may be
    /// missing, only `Sampled: 1` is true, and `Flags` is a decimal 64-bit value. Returns nil
    /// when `Trace` or `Span` is missing or `Flags` is malformed: the server then starts a new
    /// root trace, as baseplate.py does.
    public init?(headers: ThriftHeaders) {
        guard let ids = BaseplateHeaders(headers).upstreamTrace else { return nil }
        self.init(traceID: ids.trace.text, parentID: ids.parent.text, spanID: ids.span.text, sampled: ids.sampled,
                  flags: ids.flags)
    }
}

extension BaseplateHeaders {
    /// The upstream trace, or nil when it must be a new root (see `TraceInfo(headers:)`).
    var upstreamTrace: (trace: SpanIdentifier, parent: SpanIdentifier, span: SpanIdentifier, sampled: Bool, flags: UInt64?)? {
        guard let trace, let span else { return nil }
        var parsedFlags: UInt64?
        if let present = flags {
            guard let value = present else { return nil }
            parsedFlags = value
        }
        return (trace, parent ?? .text(""), span, sampled, parsedFlags)
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
