import Baseplate

/// The example service: answers baseplate's health checks with the framework's default
/// (readiness fails while the server drains). It is what `make serve` runs.
public struct ExampleHandler: BaseplateServiceV2Handler {
    public init() {}
}

/// The app factory named in example.ini (`factory = ExampleService:make_processor`).
public func makeProcessor(appConfig: [String: String]) throws -> any ThriftProcessor {
    BaseplateServiceV2Processor(handler: ExampleHandler())
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
