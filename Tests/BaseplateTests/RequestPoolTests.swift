@testable import Baseplate
import CBaseplateIO
import Logging
import Testing

/// A loop recycles finished requests' contexts, server spans and header buffers
/// (`RequestPool`): a reused one is indistinguishable from a new one, and one that anything
/// still holds is never reused.
@Suite struct RequestPoolTests {
    @Test func aReusedContextAndSpanAreLikeNewOnes() {
        let app = BaseplateApp()
        let pool = RequestPool()
        let first = [("Trace", "1"), ("Span", "2"), ("Sampled", "1"), ("Deadline-Budget", "50"),
                     ("User-Agent", String(repeating: "u", count: 300))]
        let second = [("Trace", "7"), ("Parent", "3"), ("Span", "8"), ("Flags", "0")]

        // A request's life, touching every part of the context that a request can.
        var context = Self.withFrame(first) { frame in
            let context = pool.context(method: "first", frame: frame, localTraceID: 1)
            context.begin(with: app, known: BaseplateHeaders(frame.headers, count: Int(frame.header_count)))
            return context
        }
        context.metricsClient = MetricsClient(namespace: "x", transport: MetricsTransport())
        _ = context.metrics
        context.task = Task {}
        (context.oneway, context.sequenceID, context.compact, context.isInFlight) = (true, 9, true, true)
        context.answered = true
        context.finish(.success)
        let (contextID, spanID) = (ObjectIdentifier(context), ObjectIdentifier(context.span!))
        pool.recycle(&context)
        #expect(pool.count == 1)

        let (reused, fresh) = Self.withFrame(second) { frame in
            (pool.context(method: "second", frame: frame, localTraceID: 2),
             RequestContext(method: "second", headers: ThriftHeaders(frame), localTraceID: 2))
        }
        #expect(ObjectIdentifier(reused) == contextID && pool.count == 0)
        #expect(reused.spareSpan != nil)
        let skipped: Set = ["startNanoseconds", "spareSpan"]
        #expect(Self.fields(reused, except: skipped) == Self.fields(fresh, except: skipped))
        #expect(Array(reused.headers).map { "\($0.name)=\($0.value)" } == Array(fresh.headers).map { "\($0.name)=\($0.value)" })

        Self.withFrame(second) { frame in
            for c in [reused, fresh] { c.begin(with: app, known: BaseplateHeaders(frame.headers, count: Int(frame.header_count))) }
        }
        #expect(ObjectIdentifier(reused.span!) == spanID)
        #expect(reused.span!.context === reused)
        let spanSkipped: Set = ["startNanoseconds", "context"]
        #expect(Self.fields(reused.span!, except: spanSkipped) == Self.fields(fresh.span!, except: spanSkipped))
        #expect(reused.span!.traceID == "7" && reused.span!.parentID == "3" && reused.span!.id == "8")
    }

    @Test func whatAnythingStillHoldsIsNotReused() {
        let pool = RequestPool()
        var context = Self.withFrame([("Trace", "1")]) { pool.context(method: "m", frame: $0, localTraceID: 1) }
        context.answered = true
        do {
            let held = context
            withExtendedLifetime(held) { pool.recycle(&context) }
            #expect(pool.count == 0)
        }
        // Nor one not answered (its handler has not finished).
        var unanswered = Self.withFrame([]) { pool.context(method: "m", frame: $0, localTraceID: 1) }
        pool.recycle(&unanswered)
        #expect(pool.count == 0)
        // Headers a handler copied keep their bytes when the context is reused.
        let copied = context.headers
        pool.recycle(&context)
        #expect(pool.count == 1)
        let reused = Self.withFrame([("Trace", "22222")]) { pool.context(method: "o", frame: $0, localTraceID: 3) }
        #expect(reused === context)
        #expect(reused.headers.string("Trace") == "22222")
        #expect(copied.string("Trace") == "1")
    }

    /// Through a server: contexts a handler keeps keep their request's method, headers and
    /// span, while the loop reuses the others.
    @Test func keptContextsStayTheirs() throws {
        TestProcessor.kept.withLock { $0.removeAll() }
        let app = BaseplateApp()
        let config = ThriftServer.Configuration(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1)
        let server = try ThriftServer(configuration: config, processor: BaseplateProcessor(TestProcessor(), baseplate: app).processor,
                                      baseplate: app, logger: Logger(label: "test"))
        try server.start()
        defer { server.shutdown(timeout: .seconds(2)) }
        let client = try TestClient(port: server.port)
        for i in 0..<40 {
            let headers = [("Request", "\(i)"), ("Trace", "\(1000 + i)"), ("Span", "\(2000 + i)")]
            if i % 2 == 0 {
                #expect(try client.call("keep", "", headers: headers).value == "\(i)")
            } else {
                #expect(try client.call("headers", "Request", headers: headers).value == "\(i)")
            }
        }
        let kept = TestProcessor.kept.withLock { $0 }
        #expect(kept.count == 20)
        #expect(Set(kept.map(ObjectIdentifier.init)).count == 20)
        for (n, context) in kept.enumerated() {
            let i = 2 * n
            #expect(context.headers.string("Request") == "\(i)")
            #expect(context.span?.traceID == "\(1000 + i)" && context.span?.id == "\(2000 + i)")
            #expect(context.span?.isFinished == true)
        }
        // The others were recycled: one context served them all.
        #expect(server.loops.contexts[0].requests.count == 1)
        TestProcessor.kept.withLock { $0.removeAll() }
    }

    /// A request frame parsed by the C core, with THeader key/value headers.
    private static func withFrame<T>(_ headers: [(String, String)], _ body: (bpio_frame) -> T) -> T {
        let bytes = ThriftHeadersTests.theaderBody(blocks: headers.isEmpty ? [] : [headers])
        return bytes.withUnsafeBufferPointer { b in
            var cHeaders = [bpio_header](repeating: bpio_header(), count: Int(BPIO_MAX_HEADERS))
            var frame = bpio_frame()
            var why: UnsafePointer<CChar>?
            let status = bpio_theader_parse(b.baseAddress, b.count, &cHeaders, &frame, &why)
            precondition(status == BPIO_OK)
            return cHeaders.withUnsafeBufferPointer { _ in body(frame) }
        }
    }

    /// Every stored property of an object (its superclasses' too), as text.
    private static func fields(_ object: AnyObject, except skipped: Set<String>) -> [String: String] {
        var fields: [String: String] = [:]
        var mirror: Mirror? = Mirror(reflecting: object)
        while let m = mirror {
            for child in m.children {
                guard let label = child.label, !skipped.contains(label) else { continue }
                fields[label] = String(describing: child.value)
            }
            mirror = m.superclassMirror
        }
        return fields
    }
}
