import Baseplate

/// The example service: answers baseplate's health checks. It is what `make serve` runs.
public struct ExampleHandler: BaseplateServiceV2Handler {
    public init() {}

    public func isHealthy(request: IsHealthyRequest, context: RequestContext) async throws -> Bool {
        true
    }
}

/// The app factory named in example.ini (`factory = ExampleService:make_processor`).
public func makeProcessor(appConfig: [String: String]) throws -> any ThriftProcessor {
    BaseplateServiceV2Processor(handler: ExampleHandler())
}
