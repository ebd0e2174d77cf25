// swift-tools-version:6.0
// Cost per recorded request of our Prometheus registry against swift-prometheus 2.4.1 (the
// package the issue suggested). Separate from the main package so that swift-prometheus is not
// a dependency of the project; our registry's sources are compiled in through a symlink.
import PackageDescription

let package = Package(
    name: "prometheus-bench",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(name: "BaseplatePrometheus", dependencies: [.product(name: "Logging", package: "swift-log")]),
        .executableTarget(
            name: "bench",
            dependencies: [
                "BaseplatePrometheus",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
    ]
)
