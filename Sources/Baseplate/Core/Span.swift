import CBaseplateIO

/// One timed operation in a trace (baseplate.py's `Span`): a call to another service when used
/// directly, or `LocalSpan`/`ServerSpan` for work in this process and for the request itself.
///
/// A span is used by the task that made it. Observers hear every call: `start`, `setTag`,
/// `incrTag`, `log`, `finish`, and the creation of children.
open class Span: @unchecked Sendable {
    // @exclusivity(unchecked) on hot fields: one thread uses them (as below), and the dynamic
    // exclusivity checks cost ~1,000 instructions per request (callgrind).
    // @unchecked: a span belongs to one request's task, which runs on one event loop; handlers
    // that share a span across threads must not use it concurrently (as in baseplate.py).

    // Ids as they arrived or were made: usually decimal 64-bit numbers, turned into text only
    // when asked (most requests never are: ~1,500 instructions per request otherwise).
    // Variables only so that a loop can recycle a server span (see `reset`).
    @exclusivity(unchecked) private(set) var traceIdentifier: SpanIdentifier
    @exclusivity(unchecked) private(set) var parentIdentifier: SpanIdentifier?
    @exclusivity(unchecked) private(set) var identifier: SpanIdentifier
    public var traceID: String { traceIdentifier.text }
    public var parentID: String? { parentIdentifier?.text }
    public var id: String { identifier.text }
    /// Set by the tracing observer once it has decided (baseplate.py overwrites it too).
    @exclusivity(unchecked) public var sampled: Bool?
    @exclusivity(unchecked) public private(set) var flags: UInt64?
    @exclusivity(unchecked) public private(set) var name: String
    /// The request this span belongs to (nil for spans made outside a request, or once the
    /// request has been answered). Strong, and let go when the request finishes: the request
    /// owns its server span, and a weak reference instead costs a side-table allocation and
    /// atomics per request.
    @exclusivity(unchecked) public internal(set) var context: RequestContext?
    /// Most spans have one observer (or none): it is kept inline, saving an array per span.
    @exclusivity(unchecked) private var firstObserver: (any SpanObserver)?
    @exclusivity(unchecked) private var moreObservers: [any SpanObserver] = []
    public var observers: [any SpanObserver] { firstObserver.map { [$0] + moreObservers } ?? [] }
    /// Whether an observer records tags: the usual server span's only observer (its statsd
    /// metrics) does not, and its three tags cost ~500 instructions (callgrind).
    @exclusivity(unchecked) public private(set) var observesTags = false
    // Times in `Nanoseconds` (integers); the Instants below are made on request.
    @exclusivity(unchecked) private(set) var startNanoseconds: Int64?
    /// When `finish` was called: observers measure to it rather than each reading the clock.
    @exclusivity(unchecked) private(set) var finishNanoseconds: Int64?
    @exclusivity(unchecked) public private(set) var isFinished = false

    public var startTime: ContinuousClock.Instant? { startNanoseconds.map(Nanoseconds.instant) }
    public var finishTime: ContinuousClock.Instant? { finishNanoseconds.map(Nanoseconds.instant) }

    /// Start to finish (or to now, while running) in milliseconds; nil if never started.
    public var elapsedMilliseconds: Double? {
        elapsedNanoseconds.map { Double($0) * 1e-6 }
    }

    /// The same in whole nanoseconds (what `PythonFloatText.appendMilliseconds` formats).
    var elapsedNanoseconds: Int64? {
        guard let startNanoseconds else { return nil }
        return (finishNanoseconds ?? Nanoseconds.now()) - startNanoseconds
    }

    public convenience init(traceInfo: TraceInfo, name: String, context: RequestContext?) {
        self.init(trace: SpanIdentifier(traceInfo.traceID), parent: traceInfo.parentID.map(SpanIdentifier.init),
                  id: SpanIdentifier(traceInfo.spanID), sampled: traceInfo.sampled, flags: traceInfo.flags,
                  name: name, context: context)
    }

    init(trace: SpanIdentifier, parent: SpanIdentifier?, id: SpanIdentifier, sampled: Bool?, flags: UInt64?,
         name: String, context: RequestContext?) {
        self.traceIdentifier = trace
        self.parentIdentifier = parent
        self.identifier = id
        self.sampled = sampled
        self.flags = flags
        self.name = name
        self.context = context
    }

    /// Makes the span like a new one: a recycled request's server span (see `RequestPool`), of
    /// which nothing else holds a reference. Sets every stored property (`RequestPoolTests`).
    func reset(trace: SpanIdentifier, parent: SpanIdentifier?, id: SpanIdentifier, sampled: Bool?, flags: UInt64?,
               name: String, context: RequestContext?) {
        traceIdentifier = trace
        parentIdentifier = parent
        identifier = id
        self.sampled = sampled
        self.flags = flags
        self.name = name
        self.context = context
        firstObserver = nil
        if !moreObservers.isEmpty { moreObservers.removeAll() }
        observesTags = false
        startNanoseconds = nil
        finishNanoseconds = nil
        isFinished = false
    }

    public var traceInfo: TraceInfo {
        TraceInfo(traceID: traceID, parentID: parentID, spanID: id, sampled: sampled, flags: flags)
    }

    public func register(_ observer: any SpanObserver) {
        if !observesTags { observesTags = observer.observesTags }
        if firstObserver == nil {
            firstObserver = observer
        } else {
            moreObservers.append(observer)
        }
    }

    /// Each observer in order of registration (those registered meanwhile are not called).
    @inline(__always)
    private func forEachObserver(_ body: (any SpanObserver) -> Void) {
        guard let first = firstObserver else { return }
        if moreObservers.isEmpty {  // the usual span: no copy of the (empty) array to retain
            body(first)
            return
        }
        let more = moreObservers
        body(first)
        for observer in more { body(observer) }
    }

    public func start() { start(at: Nanoseconds.now()) }

    /// Starts the span as of `nanoseconds` (a server span: when its request arrived, a clock
    /// read the request has already made).
    func start(at nanoseconds: Int64) {
        startNanoseconds = nanoseconds
        forEachObserver { $0.onStart(self) }
    }

    public func setTag(_ key: String, _ value: SpanTagValue) {
        guard observesTags else { return }
        forEachObserver { $0.onSetTag(self, key: key, value: value) }
    }

    public func incrTag(_ key: String, _ delta: Double = 1) {
        forEachObserver { $0.onIncrTag(self, key: key, delta: delta) }
    }

    public func log(_ name: String, _ payload: (any Sendable)? = nil) {
        forEachObserver { $0.onLog(self, name: name, payload: payload) }
    }

    /// Ends the span; `error` non-nil marks it failed. Observers then let go of the span.
    public func finish(error: (any Error)? = nil) {
        guard !isFinished else { return }
        isFinished = true
        finishNanoseconds = Nanoseconds.now()
        forEachObserver { $0.onFinish(self, error: error) }
        firstObserver = nil
        moreObservers.removeAll()
        observesTags = false
    }

    /// A child in the same trace with a new id: a client span, or a `LocalSpan` if `local`.
    /// Observers of this span hear of it (and typically register themselves on it).
    public func makeChild(_ name: String, local: Bool = false, componentName: String? = nil) -> Span {
        precondition(!isFinished, "span \(self.name) has already finished")
        let newID = SpanIdentifier.number(bpio_random64())
        let child: Span = local
            ? LocalSpan(trace: traceIdentifier, parent: identifier, id: newID, sampled: sampled, flags: flags,
                        name: name, context: context, componentName: componentName)
            : Span(trace: traceIdentifier, parent: identifier, id: newID, sampled: sampled, flags: flags,
                   name: name, context: context)
        forEachObserver { $0.onChildSpanCreated(self, child: child) }
        return child
    }

    /// Runs `body` between `start` and `finish`, finishing with the error it throws.
    public func run<T>(_ body: (Span) async throws -> T) async rethrows -> T {
        start()
        do {
            let value = try await body(self)
            finish()
            return value
        } catch {
            finish(error: error)
            throw error
        }
    }
}

/// Work inside this process (baseplate.py's `LocalSpan`), named by its component.
public class LocalSpan: Span, @unchecked Sendable {
    public let componentName: String?

    public convenience init(traceInfo: TraceInfo, name: String, context: RequestContext?, componentName: String? = nil) {
        self.init(trace: SpanIdentifier(traceInfo.traceID), parent: traceInfo.parentID.map(SpanIdentifier.init),
                  id: SpanIdentifier(traceInfo.spanID), sampled: traceInfo.sampled, flags: traceInfo.flags,
                  name: name, context: context, componentName: componentName)
    }

    init(trace: SpanIdentifier, parent: SpanIdentifier?, id: SpanIdentifier, sampled: Bool?, flags: UInt64?,
         name: String, context: RequestContext?, componentName: String?) {
        self.componentName = componentName
        super.init(trace: trace, parent: parent, id: id, sampled: sampled, flags: flags, name: name, context: context)
    }
}

/// The span of one request this server handles, named after the method.
public final class ServerSpan: LocalSpan, @unchecked Sendable {
    public convenience init(traceInfo: TraceInfo, name: String, context: RequestContext?) {
        self.init(trace: SpanIdentifier(traceInfo.traceID), parent: traceInfo.parentID.map(SpanIdentifier.init),
                  id: SpanIdentifier(traceInfo.spanID), sampled: traceInfo.sampled, flags: traceInfo.flags,
                  name: name, context: context)
    }

    init(trace: SpanIdentifier, parent: SpanIdentifier?, id: SpanIdentifier, sampled: Bool?, flags: UInt64?,
         name: String, context: RequestContext?) {
        super.init(trace: trace, parent: parent, id: id, sampled: sampled, flags: flags, name: name, context: context,
                   componentName: nil)
    }
}

/// A trace or span id. Baseplate's are the decimal text of 64-bit numbers; those are kept as
/// numbers (no allocation) and written out on demand. Anything else is kept as sent.
enum SpanIdentifier: Sendable, Hashable {
    case number(UInt64)
    case text(String)

    init(_ text: String) {
        var copy = text
        self = copy.withUTF8 { SpanIdentifier(bytes: $0) } ?? .text(text)
    }

    /// A canonical decimal (what `String(n)` gives back: no sign, no leading zero) as a number.
    init?(bytes: UnsafeBufferPointer<UInt8>) {
        guard !bytes.isEmpty, bytes.count <= 20, bytes[0] != UInt8(ascii: "0") || bytes.count == 1,
              var value = ASCIIDecimal.value(UnsafeBufferPointer(rebasing: bytes.prefix(19)))
        else { return nil }
        // 19 digits cannot overflow a UInt64: only a 20th is checked.
        if bytes.count == 20 {
            let digit = bytes[19] &- 48
            guard digit <= 9 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
            if o1 || o2 { return nil }
            value = sum
        }
        self = .number(value)
    }

    var text: String {
        switch self {
        case .number(let n): String(n)
        case .text(let s): s
        }
    }
}

/// Plain ASCII decimal digits (no sign, no spaces): ids and counts read from headers, numbers
/// written into statsd lines and span JSON.
enum ASCIIDecimal {
    /// The value of 1-19 digits (which cannot overflow), or nil if empty, longer, or any byte is
    /// not a digit. Eight digits at a time (~15 instructions for eight, where a digit loop took
    /// ~80; three trace ids per request, callgrind).
    static func value(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard let base = bytes.baseAddress, !bytes.isEmpty, bytes.count <= 19 else { return nil }
        let raw = UnsafeRawPointer(base)
        var value: UInt64 = 0
        var i = 0
        while i + 8 <= bytes.count {
            guard let eight = eightDigits(raw + i) else { return nil }
            value = value &* 100_000_000 &+ eight
            i += 8
        }
        while i < bytes.count {
            let digit = bytes[i] &- 48
            guard digit <= 9 else { return nil }
            value = value &* 10 &+ UInt64(digit)
            i += 1
        }
        return value
    }

    /// `value` in decimal at `out` (room for 20 bytes); returns its length. Two digits a step
    /// from a table, after counting them from the bit length: a division per digit cost ~450
    /// instructions for a 19-digit span id (callgrind).
    static func write(_ value: UInt64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let count = digits(value)
        let pairs = Self.pairs.utf8Start
        var rest = value
        var i = count
        while rest >= 100 {
            let r = Int(truncatingIfNeeded: rest % 100) &* 2
            rest /= 100
            i &-= 2
            out[i] = pairs[r]
            out[i &+ 1] = pairs[r &+ 1]
        }
        if rest >= 10 {
            let r = Int(truncatingIfNeeded: rest) &* 2
            out[0] = pairs[r]
            out[1] = pairs[r &+ 1]
        } else {
            out[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest)
        }
        return count
    }

    /// How many decimal digits `value` has: log10 from the bit length (1233 / 4096 ~ log10 2),
    /// then one comparison.
    static func digits(_ value: UInt64) -> Int {
        guard value >= 10 else { return 1 }
        let t = ((64 &- value.leadingZeroBitCount) &* 1233) >> 12
        return value < powersOfTen[t] ? t : t &+ 1
    }

    private static let pairs: StaticString =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    private static let powersOfTen: [UInt64] = (0...19).map { (0..<$0).reduce(1) { n, _ in n * 10 } }

    /// Eight ASCII digits at `p`, the first the most significant, or nil if one is not a digit.
    @inline(__always)
    private static func eightDigits(_ p: UnsafeRawPointer) -> UInt64? {
        let chunk = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
        let digits = chunk &- 0x3030_3030_3030_3030
        // Each byte 0x30...0x39: high nibble 3, and adding 6 to its low nibble does not carry.
        guard chunk & 0xF0F0_F0F0_F0F0_F0F0 == 0x3030_3030_3030_3030,
              (digits &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0 == 0
        else { return nil }
        // Adjacent digits into pairs (d0*10+d1 in the even bytes), then pairs into the whole.
        let pairs = (digits &* 10) &+ (digits >> 8)
        let low = (pairs & 0x0000_00FF_0000_00FF) &* (100 + (1_000_000 << 32))
        let high = ((pairs >> 16) & 0x0000_00FF_0000_00FF) &* (1 + (10_000 << 32))
        return (low &+ high) >> 32
    }
}
