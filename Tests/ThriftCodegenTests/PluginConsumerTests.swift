import Foundation
import Testing
import TestSupport

/// The plugin from a fresh package depending on this one by path (Tests/CodegenFixtures/PluginConsumer).
///
/// Slow the first time: `swift build` of that package compiles Baseplate, CBaseplateIO, swift-log,
/// ThriftCodegen and thrift-swift for it — about 30 seconds on 2 cores; later runs reuse
/// `$BPIO_PEERS/codegen/plugin-consumer` and take about 5 seconds. THRIFT_SWIFT_SKIP_PLUGIN_TEST=1
/// skips it; `Tests/CodegenFixtures/PluginConsumer/build.sh` does the same by hand.
@Suite struct PluginConsumerTests {
    static let enabled = ProcessInfo.processInfo.environment["THRIFT_SWIFT_SKIP_PLUGIN_TEST"] != "1"

    @Test(.enabled(if: enabled, "THRIFT_SWIFT_SKIP_PLUGIN_TEST=1"),
          .timeLimit(.minutes(10)))
    func consumerBuildsAndRuns() throws {
        let script = Repository.path("Tests/CodegenFixtures/PluginConsumer/build.sh")
        let result = try run("/bin/bash", [script, Peers.directory + "/codegen/plugin-consumer"])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("greeter-demo: ok"), "\(result.stdout)")
    }
}
