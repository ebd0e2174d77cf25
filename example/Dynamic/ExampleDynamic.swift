import Baseplate

/// An app in a shared library (`libExampleDynamic.so`), loaded by the stock baseplate-serve when
/// the INI file names `factory = ExampleDynamic:make_processor`. Built by `make example-dynamic`
/// without embedding Baseplate: the library's references bind to the copy in baseplate-serve.
///
/// It serves the health checks and, to show it is this library's code answering, reports the
/// STARTUP probe as the `startup_ready` key of its app section says (default false).
struct DynamicHandler: BaseplateServiceV2Handler {
    let startupReady: Bool

    func isHealthy(request: IsHealthyRequest, context: RequestContext) async throws -> Bool {
        request.probe == .startup ? startupReady : ServerState.state == .running
    }
}

@_cdecl("make_processor")
public func make_processor(_ call: UnsafeMutableRawPointer) {
    DynamicAppCall.answer(call) { config in
        BaseplateServiceV2Processor(handler: DynamicHandler(startupReady: config["startup_ready"] == "true"))
    }
}
