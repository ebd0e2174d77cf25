import BaseplateServe
import ExampleService

// The stock baseplate-serve binary, with the example service linked in. An application builds
// its own the same way, naming its own factories.
BaseplateServe.main(factories: [
    "ExampleService:make_processor": ExampleService.makeProcessor
])
