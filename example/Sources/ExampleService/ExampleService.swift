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
