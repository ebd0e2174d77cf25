// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "baseplate-swift",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Baseplate", targets: ["Baseplate"]),
        .library(name: "BaseplateServe", targets: ["BaseplateServe"]),
        .executable(name: "baseplate-serve", targets: ["serve"]),
        .executable(name: "baseplate-healthcheck", targets: ["healthcheck"]),
        .executable(name: "baseplate-script", targets: ["script"]),
        // MARK: codegen products (begin)
        .executable(name: "thrift-swift", targets: ["thrift-swift"]),
        .plugin(name: "ThriftSwiftPlugin", targets: ["ThriftSwiftPlugin"]),
        // MARK: codegen products (end)
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // MARK: tracing: the Zipkin tracer is also a swift-distributed-tracing Tracer.
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
    ],
    targets: [
        // Debian's libev-dev has no pkg-config file; the module map links "ev".
        .systemLibrary(name: "CLibev", path: "Sources/CLibev"),
        // The hot path in C: loops, connections, framing. Every exported symbol is bpio_.
        .target(
            name: "CBaseplateIO",
            dependencies: ["CLibev"],
            linkerSettings: [.linkedLibrary("ev"), .linkedLibrary("z")]
        ),
        .target(
            name: "Baseplate",
            dependencies: [
                "CBaseplateIO",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),  // MARK: tracing
            ],
            exclude: ["Config/README.md", "Tracing/README.md"],
            // Compiles idl/baseplate.thrift (named in thrift-swift-config.json) at build time.
            plugins: ["ThriftSwiftPlugin"]
        ),
        // baseplate-serve as a library: CLI, app factories, lifecycle, process managers, logging.
        .target(
            name: "BaseplateServe",
            dependencies: [
                "Baseplate",
                "CBaseplateIO",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "ExampleService",
            dependencies: ["Baseplate"],
            path: "example/Sources/ExampleService",
            plugins: ["ThriftSwiftPlugin"]
        ),
        .executableTarget(
            name: "serve",
            dependencies: ["BaseplateServe", "ExampleService"],
            // App factories in shared libraries bind to this binary's copy of the framework.
            linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic"])]
        ),
        .executableTarget(name: "healthcheck", dependencies: ["BaseplateServe"]),
        .executableTarget(name: "script", dependencies: ["BaseplateServe", "ExampleService"]),
        // MARK: codegen targets (begin)
        // The Thrift IDL compiler: a library in stages, a thin CLI, and a build-tool plugin running it.
        .target(name: "ThriftCodegen", exclude: ["README.md"]),
        .executableTarget(name: "thrift-swift", dependencies: ["ThriftCodegen"]),
        .plugin(name: "ThriftSwiftPlugin", capability: .buildTool(), dependencies: ["thrift-swift"]),
        // Generated code under test, compiled by the plugin with warnings as errors.
        .target(
            name: "CodegenFixtureBase",
            dependencies: ["Baseplate"],
            path: "Tests/CodegenFixtures/Base",
            swiftSettings: [.unsafeFlags(["-warnings-as-errors"])],
            plugins: ["ThriftSwiftPlugin"]
        ),
        .target(
            name: "CodegenFixture",
            dependencies: ["Baseplate", "CodegenFixtureBase"],
            path: "Tests/CodegenFixtures/Everything",
            swiftSettings: [.unsafeFlags(["-warnings-as-errors"])],
            plugins: ["ThriftSwiftPlugin"]
        ),
        .testTarget(
            name: "ThriftCodegenTests",
            dependencies: [
                "ThriftCodegen", "CodegenFixture", "CodegenFixtureBase", "Baseplate", "CBaseplateIO", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // MARK: codegen targets (end)

        // Locating and running the C++ peers (Tests/Peers), shared by the test targets.
        .target(name: "TestSupport", dependencies: ["CBaseplateIO"], path: "Tests/TestSupport"),
        .testTarget(name: "CBaseplateIOTests", dependencies: ["CBaseplateIO", "TestSupport"]),
        .testTarget(
            name: "BaseplateServeTests",
            dependencies: ["BaseplateServe", "Baseplate", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "ExampleServiceTests",
            dependencies: ["ExampleService", "Baseplate", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "BaseplateTests",
            dependencies: [
                "Baseplate", "CBaseplateIO", "TestSupport",
                .product(name: "Tracing", package: "swift-distributed-tracing"),  // MARK: tracing
            ]
        ),
    ],
    cLanguageStandard: .c11
)
