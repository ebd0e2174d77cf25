import Baseplate

/// The service's implementation of the generated handler protocol.
public struct GreeterService: GreeterHandler {
    public init() {}

    // `greeting` is optional: Greeting has a required field, so it has no value to stand in when a
    // caller leaves the argument out.
    public func greet(greeting: Greeting?, context: RequestContext) async throws -> String {
        guard let greeting, !greeting.name.isEmpty else { throw NobodyHome(who: "") }
        let title = greeting.titles?.first.map { $0 + " " } ?? ""
        return (greeting.tone == .formal ? "Good day, " : "Hi, ") + title + greeting.name
    }

    public func wave(to: Recipient?, context: RequestContext) async throws {}
}
