import CBaseplateIO

/// A loop's finished requests, kept to serve its next ones: the context, its server span and
/// its headers' buffer are reused instead of three allocations and three frees per request.
///
/// A loop allocates a whole batch of requests as it reads them, then frees them together once
/// they have run; a batch larger than malloc's per-thread cache (seven objects of a size) sent
/// every free and allocation down malloc's slow paths, ~500 instructions per request
/// (callgrind, S1). A context is taken back only when nothing else holds it: a handler or a task
/// it started may keep a context (or its span) past its request, which then is simply freed.
/// Loop thread only.
final class RequestPool: @unchecked Sendable {
    // @unchecked: used on its loop's thread only.
    /// Enough for a busy loop's batch; a burst beyond it is freed as before.
    static let capacity = 256
    @exclusivity(unchecked) private var spare: [RequestContext] = []

    init() { spare.reserveCapacity(Self.capacity) }

    /// A context for a request that has just been read.
    func context(method: String, frame: bpio_frame, localTraceID: UInt64) -> RequestContext {
        guard let context = spare.popLast() else {
            return RequestContext(method: method, headers: ThriftHeaders(frame), localTraceID: localTraceID)
        }
        context.reuse(method: method, frame: frame, localTraceID: localTraceID)
        return context
    }

    /// Takes back an answered request's context if `reference` is the only one left.
    func recycle(_ reference: inout RequestContext) {
        guard spare.count < Self.capacity, reference.answered, isKnownUniquelyReferenced(&reference) else { return }
        reference.recycle()
        spare.append(reference)
    }

    /// Contexts waiting to be reused (tests).
    var count: Int { spare.count }

    /// Whether `context` waits here to be reused (tests).
    func holds(_ context: RequestContext) -> Bool { spare.contains { $0 === context } }
}
