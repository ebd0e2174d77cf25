import Baseplate
import Synchronization

/// The example service (example.thrift): baseplate's health checks, inherited from
/// `BaseplateServiceV2` with the framework's default answer (readiness fails while the server
/// drains), and a small greeting API. It is what `make serve` runs.
public final class ExampleHandler: ExampleServiceHandler {
    /// Most names one greeting may carry.
    public static let recipientLimit: Int32 = 8

    private let recorded = Mutex<[Contact]>([])

    public init() {}

    public func greet(names: [String], tone: Tone?, context: RequestContext) async throws -> Greeting {
        guard names.count <= Self.recipientLimit else {
            throw TooManyRecipients(limit: Self.recipientLimit)
        }
        if case .unknown(let value)? = tone {
            // Not declared in the IDL: the client gets INTERNAL_ERROR and the request counts as
            // a failure in metrics and traces.
            throw UnknownTone(value: value)
        }
        let opening = tone == .formal ? "Good day" : "Hello"
        let text = names.isEmpty ? "\(opening)!" : "\(opening), \(names.joined(separator: " and "))!"
        var counts: [String: Int64] = [:]
        for name in names { counts[name, default: 0] += 1 }
        return Greeting(text: text, tone: tone, recipients: names, counts: counts)
    }

    public func record(contact: Contact?, context: RequestContext) async throws {
        guard let contact else { return }
        recorded.withLock { $0.append(contact) }
    }

    public func contacts(context: RequestContext) async throws -> [Contact] {
        recorded.withLock { $0 }
    }

    public func echoBlob(blob: Blob, context: RequestContext) async throws -> Blob {
        blob
    }
}

/// A tone newer than this version of the service (an error the IDL does not declare).
public struct UnknownTone: Error {
    public var value: Int32
}

/// The app factory named in example.ini (`factory = ExampleService:make_processor`).
public func makeProcessor(appConfig: [String: String]) throws -> any ThriftProcessor {
    ExampleServiceProcessor(handler: ExampleHandler())
}

/// A script function (`baseplate-script example.ini ExampleService:print_config`): prints the
/// app section as `key=value` lines, sorted.
@Sendable public func printConfig(_ appConfig: [String: String]) throws {
    for (key, value) in appConfig.sorted(by: { $0.key < $1.key }) { print("\(key)=\(value)") }
}

/// A script function taking extra arguments: prints them one per line.
@Sendable public func printArguments(_ appConfig: [String: String], _ arguments: [String]) throws {
    for argument in arguments { print(argument) }
}
