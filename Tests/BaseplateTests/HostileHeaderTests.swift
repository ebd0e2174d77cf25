import Baseplate
import Testing

/// Header values a hostile or broken client may send; each once crashed the server.
@Suite(.serialized) struct HostileHeaderTests {
    /// `Deadline-Budget: 1e300` parses as a finite Double that Duration cannot hold: converting it
    /// trapped, killing the server process. Now the budget is capped, and the request is served.
    @Test(arguments: ["1e300", "1.7976931348623157e308", "1e24"])
    func hugeDeadlineBudgetIsServed(budget: String) throws {
        try ObservabilityTests.withServer { server, observer in
            let c = try TestClient(port: server.port)
            #expect(try c.call("echo", "x", headers: [("Deadline-Budget", budget)]).value == "x")
            _ = observer.waitForFinished(1)
            let context = try #require(observer.contexts.withLock { $0 }.first)
            #expect(context.deadlineBudget == .milliseconds(1e15))
            // The server is still up for the next client.
            #expect(try TestClient(port: server.port).call("echo", "y").value == "y")
        }
    }
}
