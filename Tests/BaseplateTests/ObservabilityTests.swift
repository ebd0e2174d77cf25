import Baseplate
import Glibc
import Logging
import Synchronization
import Testing

/// Records what observers hear, for every request.
final class RecordingObserver: BaseplateObserver, SpanObserver {
    enum Event: Equatable {
        case created(name: String, traceID: String, parentID: String?, id: String, sampled: Bool?, flags: UInt64?)
        case start(String)
        case tag(String, String, SpanTagValue)
        case finish(String, error: String?)
    }

    let events = Mutex<[Event]>([])
    let contexts = Mutex<[RequestContext]>([])

    func onServerSpanCreated(context: RequestContext, serverSpan: ServerSpan) {
        contexts.withLock { $0.append(context) }
        events.withLock {
            $0.append(.created(name: serverSpan.name, traceID: serverSpan.traceID, parentID: serverSpan.parentID,
                               id: serverSpan.id, sampled: serverSpan.sampled, flags: serverSpan.flags))
        }
        serverSpan.register(self)
    }

    func onStart(_ span: Span) { events.withLock { $0.append(.start(span.name)) } }
    func onSetTag(_ span: Span, key: String, value: SpanTagValue) {
        events.withLock { $0.append(.tag(span.name, key, value)) }
    }
    func onFinish(_ span: Span, error: (any Error)?) {
        events.withLock { $0.append(.finish(span.name, error: error.map { String(describing: type(of: $0)) })) }
    }

    /// Waits (briefly) until `n` spans have finished: spans finish after the reply is sent.
    func waitForFinished(_ n: Int) -> [Event] {
        for _ in 0..<200 {
            let all = events.withLock { $0 }
            if all.filter({ if case .finish = $0 { true } else { false } }).count >= n { return all }
            usleep(10_000)
        }
        return events.withLock { $0 }
    }
}

@Suite(.serialized) struct ObservabilityTests {
    static func withServer(appConfig: [String: String] = [:], _ body: (ThriftServer, RecordingObserver) throws -> Void) throws {
        let app = BaseplateApp(appConfig: appConfig)
        try app.configureObservers()
        let observer = RecordingObserver()
        app.register(observer)
        let config = ThriftServer.Configuration(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 2)
        let server = try ThriftServer(configuration: config, processor: TestProcessor(), baseplate: app,
                                      logger: Logger(label: "test"))
        try server.start()
        defer { server.shutdown(timeout: .seconds(2)) }
        try body(server, observer)
    }

    @Test func upstreamTraceHeadersMakeTheServerSpan() throws {
        try Self.withServer { server, observer in
            let c = try TestClient(port: server.port)
            _ = try c.call("echo", "x", headers: [
                ("Trace", "1234"), ("Parent", "2345"), ("Span", "3456"), ("Sampled", "1"), ("Flags", "4567"),
                ("User-Agent", "caller"),
            ])
            let events = observer.waitForFinished(1)
            // 2.7.0: the server span reuses the caller's span id.
            #expect(events == [
                .created(name: "echo", traceID: "1234", parentID: "2345", id: "3456", sampled: true, flags: 4567),
                .tag("echo", "protocol", "thrift"),
                .tag("echo", "peer.service", "caller"),
                .tag("echo", "thrift.method", "echo"),
                .start("echo"),
                .finish("echo", error: nil),
            ])
        }
    }

    @Test func optionalHeadersMayBeMissingAndNamesAreCaseInsensitive() throws {
        try Self.withServer { server, observer in
            let c = try TestClient(port: server.port)
            _ = try c.call("echo", "x", headers: [("trace", "1234"), ("SPAN", "3456")])
            _ = try c.call("echo", "x", headers: [("Trace", "1"), ("Span", "2"), ("Sampled", "true"), ("Flags", "0")])
            let created = observer.waitForFinished(2).compactMap { e -> RecordingObserver.Event? in
                if case .created = e { e } else { nil }
            }
            #expect(created == [
                .created(name: "echo", traceID: "1234", parentID: "", id: "3456", sampled: false, flags: nil),
                // Only "1" is true.
                .created(name: "echo", traceID: "1", parentID: "", id: "2", sampled: false, flags: 0),
            ])
        }
    }

    @Test(arguments: [
        [("Trace", "1234")],  // no Span
        [("Span", "3456")],  // no Trace
        [("Trace", "1"), ("Span", "2"), ("Flags", "abc")],
        [("Trace", "1"), ("Span", "2"), ("Flags", "-1")],
        [("Trace", "1"), ("Span", "2"), ("Flags", "18446744073709551616")],  // 2**64
        [],
    ])
    func malformedOrMissingTraceStartsANewRoot(headers: [(String, String)]) throws {
        try Self.withServer { server, observer in
            let c = try TestClient(port: server.port)
            _ = try c.call("echo", "x", headers: headers)
            let events = observer.waitForFinished(1)
            guard case .created(_, let trace, let parent, let id, let sampled, let flags) = events.first else {
                Issue.record("no span: \(events)")
                return
            }
            #expect(trace == id && UInt64(trace) != nil && trace != "1" && trace != "1234")
            #expect(parent == nil && sampled == nil && flags == nil)
        }
    }

    @Test func edgeContextAndDeadlineBudgetReachTheContext() throws {
        try Self.withServer { server, observer in
            let c = try TestClient(port: server.port)
            _ = try c.call("echo", "x", headers: [("edge-request", "\u{1}edge\u{2}"), ("Deadline-Budget", "1234")])
            _ = observer.waitForFinished(1)
            let context = try #require(observer.contexts.withLock { $0.first })
            #expect(context.rawEdgeContext == Array("\u{1}edge\u{2}".utf8))
            #expect(context.deadlineBudget == .milliseconds(1234))
            let deadline = try #require(context.deadline)
            #expect(deadline - context.startTime == .milliseconds(1234))
        }
    }

    @Test func errorMapping() throws {
        try Self.withServer { server, observer in
            let c = try TestClient(port: server.port)
            _ = try c.call("declared", "")
            _ = try c.call("bperror", "404")
            _ = try c.call("bperror", "503")
            _ = try c.call("boom", "")
            let events = observer.waitForFinished(4)
            let finishes = events.filter { if case .finish = $0 { true } else { false } }
            // Declared exceptions and non-5xx baseplate errors are successes; 5xx and
            // undeclared errors fail the span.
            #expect(finishes == [
                .finish("declared", error: nil),
                .finish("bperror", error: nil),
                .finish("bperror", error: "BaseplateError"),
                .finish("boom", error: "Boom"),
            ])
            let tags = events.compactMap { e -> String? in
                guard case .tag(let span, let key, let value) = e, !["protocol", "thrift.method"].contains(key)
                else { return nil }
                return "\(span) \(key)=\(value)"
            }
            #expect(tags == [
                "declared exception_type=Boom", "declared success=false",
                "bperror exception_type=Error", "bperror thrift.status_code=404", "bperror thrift.status=NOT_FOUND",
                "bperror success=false",
                "bperror exception_type=Error", "bperror thrift.status_code=503",
                "bperror thrift.status=SERVICE_UNAVAILABLE", "bperror success=false",
            ])
        }
    }

    @Test func deadlineBudgetCancelsASlowHandler() throws {
        TestProcessor.cancelled.withLock { $0.removeAll() }
        try Self.withServer { server, observer in
            let c = try TestClient(port: server.port)
            let start = ContinuousClock.now
            let r = try c.call("cancellable", "5000", headers: [("Deadline-Budget", "100")])
            let took = ContinuousClock.now - start
            #expect(r.header.type == .exception)
            #expect(r.exception?.code == .internalError)
            #expect(r.exception?.message?.contains("timed out") == true)
            #expect(took >= .milliseconds(100) && took < .seconds(2))
            let events = observer.waitForFinished(1)
            #expect(events.last == .finish("cancellable", error: "ServerTimeout"))
            // The handler's task was cancelled; its late answer is dropped and the connection
            // goes on in order.
            #expect(try c.call("echo", "next").value == "next")
            for _ in 0..<100 where TestProcessor.cancelled.withLock({ $0.isEmpty }) { usleep(10_000) }
            #expect(TestProcessor.cancelled.withLock { $0 } == [true])
            // Handler tasks are reused from request to request, but not a cancelled one: the next
            // handlers on this loop run uncancelled (the last worker to park is reused first).
            for _ in 0..<3 { #expect(try c.call("cancellable", "1").value == "done") }
        }
    }

    @Test func serverTimeoutByEndpointAndDefault() throws {
        try Self.withServer(appConfig: [
            "server_timeout.default": "5 seconds", "server_timeout.by_endpoint.cancellable": "500 milliseconds",
        ]) { server, observer in
            let c = try TestClient(port: server.port)
            let r = try c.call("cancellable", "3000")
            #expect(r.exception?.code == .internalError)
            // The smaller of the budget and the configured timeout wins.
            #expect(try c.call("cancellable", "1", headers: [("Deadline-Budget", "100000")]).value == "done")
            _ = try c.call("echo", "x")
            _ = observer.waitForFinished(3)
            let contexts = observer.contexts.withLock { $0 }
            #expect(contexts.count == 3)
            if contexts.count == 3 {
                #expect(contexts[0].deadline! - contexts[0].startTime == .milliseconds(500))
                #expect(contexts[1].deadline! - contexts[1].startTime == .milliseconds(500))
                #expect(contexts[2].deadline! - contexts[2].startTime == .seconds(5))
            }
        }
    }

    @Test func convertToBaseplateErrorAnswersError500() throws {
        let app = BaseplateApp()
        let observer = RecordingObserver()
        app.register(observer)
        let config = ThriftServer.Configuration(listener: .tcp(host: "127.0.0.1", port: 0), ioThreads: 1)
        let server = try ThriftServer(
            configuration: config,
            processor: BaseplateProcessor(TestProcessor(), baseplate: app, convertToBaseplateError: true).processor,
            baseplate: app, logger: Logger(label: "test"))
        try server.start()
        defer { server.shutdown(timeout: .seconds(2)) }
        let c = try TestClient(port: server.port)
        try c.send(c.frame("convert", StringArg(value: "")))
        let reply = try c.readReply(as: ErrorResult.self)
        #expect(reply == ErrorResult(error: BaseplateError(code: 500, message: "Internal server error")))
        let events = observer.waitForFinished(1)
        #expect(events.last == .finish("convert", error: "BaseplateError"))
        #expect(events.contains(.tag("convert", "thrift.status", "INTERNAL_SERVER_ERROR")))
    }

    @Test func withoutConversionTheClientGetsInternalError() throws {
        try Self.withServer { server, _ in
            let c = try TestClient(port: server.port)
            #expect(try c.call("convert", "").exception == TApplicationException(.internalError, "Internal error"))
        }
    }

    @Test func badServerTimeoutIsAConfigurationError() throws {
        let app = BaseplateApp(appConfig: ["server_timeout.default": "soon"])
        #expect(throws: ConfigurationError.self) { try app.configureObservers() }
    }

    @Test func childSpansInheritTheTrace() throws {
        let root = ServerSpan(traceInfo: TraceInfo(traceID: "1", parentID: nil, spanID: "1", sampled: true, flags: 1),
                              name: "root", context: nil)
        let observer = RecordingObserver()
        root.register(observer)
        let child = root.makeChild("downstream.call")
        let local = root.makeChild("work", local: true, componentName: "cpu")
        #expect(child.traceID == "1" && child.parentID == "1" && child.id != "1" && child.sampled == true && child.flags == 1)
        #expect(!(child is LocalSpan) && (local as? LocalSpan)?.componentName == "cpu")
        root.start()
        root.finish()
        root.finish()  // a second finish is ignored
        #expect(observer.events.withLock { $0 } == [.start("root"), .finish("root", error: nil)])
    }

    @Test func newTraceIDsAreDecimal64BitAndDistinct() {
        let ids = (0..<1000).map { _ in TraceInfo.new() }
        #expect(Set(ids.map(\.traceID)).count == 1000)
        #expect(ids.allSatisfy { $0.traceID == $0.spanID && UInt64($0.traceID) != nil && $0.parentID == nil })
    }
}
