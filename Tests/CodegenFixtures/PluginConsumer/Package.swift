// swift-tools-version:6.0
// A package of its own that uses baseplate-swift by path and compiles its Thrift IDL with the
// ThriftSwiftPlugin, as a user's service would. Built by ThriftCodegenTests.PluginConsumerTests
// (or `Tests/CodegenFixtures/PluginConsumer/build.sh`).
//
// A user's package names its checkout the same way:
//     .package(path: "../baseplate-swift"),
//     .product(name: "Baseplate", package: "baseplate-swift"),
//     plugins: [.plugin(name: "ThriftSwiftPlugin", package: "baseplate-swift")]
// Here the checkout is this repository, three levels up, and its package identity is the name of
// its directory (whatever the clone is called), so the manifest works it out.
import Foundation
import PackageDescription

let root = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let baseplate = root.lastPathComponent.lowercased()

let package = Package(
    name: "PluginConsumer",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: root.path),
    ],
    targets: [
        .target(
            name: "Greeter",
            dependencies: [.product(name: "Baseplate", package: baseplate)],
            plugins: [.plugin(name: "ThriftSwiftPlugin", package: baseplate)]
        ),
        .executableTarget(
            name: "greeter-demo",
            dependencies: ["Greeter", .product(name: "Baseplate", package: baseplate)]
        ),
    ]
)
