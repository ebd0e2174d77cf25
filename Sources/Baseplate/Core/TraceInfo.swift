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

extension TraceInfo {
    /// The trace a request's THeader headers describe, read as baseplate.py 2.7.0 does: the
    /// server span takes the caller's `Span` id (Zipkin's shared-span model), `Parent` may be
    /// missing, only `Sampled: 1` is true, and `Flags` is a decimal 64-bit value. Returns nil
    /// when `Trace` or `Span` is missing or `Flags` is malformed: the server then starts a new
    /// root trace, as baseplate.py does.
    public init?(headers: ThriftHeaders) {
        guard let trace = headers.string("Trace"), let span = headers.string("Span") else { return nil }
        var flags: UInt64?
        if let text = headers.string("Flags") {
            guard let value = UInt64(text.trimmingPythonIntWhitespace) else { return nil }
            flags = value
        }
        self.init(
            traceID: trace, parentID: headers.string("Parent") ?? "", spanID: span,
            sampled: headers.string("Sampled") == "1", flags: flags)
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
