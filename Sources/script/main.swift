import BaseplateServe
import ExampleService

// The stock baseplate-script binary, with the example's script functions linked in.
BaseplateScript.main(functions: [
    "ExampleService:print_config": .config(ExampleService.printConfig),
    "ExampleService:print_args": .configAndArguments(ExampleService.printArguments),
])
