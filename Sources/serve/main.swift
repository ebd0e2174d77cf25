import Baseplate
import ExampleService

// Signals are taken by this thread with sigwait; block them before any other thread exists so
// that none of them is delivered elsewhere.
ServeCommand.blockShutdownSignals()

ServeCommand.factories = [
    "ExampleService:make_processor": ExampleService.makeProcessor
]
ServeCommand.main()
