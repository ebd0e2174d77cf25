import Glibc
import Testing
@testable import Baseplate

/// The statsd client over a real UDP socket: the lines of baseplate.py's
/// tests/unit/lib/metrics_tests.py and the reference §8.1, batching, and send failures.
@Suite(.serialized) struct MetricsClientTests {
    static func client(_ listener: StatsdListener, namespace: String = "", logs: CapturedLogs = CapturedLogs()) throws -> MetricsClient {
        MetricsClient(namespace: namespace, transport: try MetricsTransport(endpoint: listener.endpoint, logger: logs.logger))
    }

    @Test func singleMetricsAreOneDatagramEach() throws {
        let listener = try StatsdListener()
        let client = try Self.client(listener)
        client.timer("example").send(seconds: 4)
        client.timer("example", tags: ["test": "true"]).send(seconds: 3.14)
        client.counter("example").increment()
        client.counter("example").increment(10)
        client.counter("example").increment(-20)
        client.counter("example").increment(2, sampleRate: 0.5)
        client.counter("example").decrement(3)
        client.counter("example", tags: ["test": "true"]).increment(2, sampleRate: 0.5)
        client.gauge("example").replace(33)
        client.gauge("example", tags: ["test": "true"]).replace(33)
        client.gauge("example").replace(-2)  // dropped: statsd cannot set a negative gauge
        client.histogram("example_hist").addSample(33)
        client.histogram("example_hist", tags: ["test": "true"]).addSample(33)
        client.timer("example").send(.milliseconds(1500), sampleRate: 0.25)
        #expect(listener.receiveAll() == [
            "example:4000|ms", "example,test=true:3140|ms", "example:1|c", "example:10|c", "example:-20|c",
            "example:2|c|@0.5", "example:-3|c", "example,test=true:2|c|@0.5", "example:33|g",
            "example,test=true:33|g", "example_hist:33|h", "example_hist,test=true:33|h", "example:1500|ms|@0.25",
        ])
    }

    @Test func namesJoinAsMetricJoin() throws {
        #expect(MetricName.join("", "single") == "single")
        #expect(MetricName.join("first", "second") == "first.second")
        #expect(MetricName.join("first.second", "third.fourth") == "first.second.third.fourth")
        #expect(MetricName.join("first.", "second") == "first.second")
        #expect(MetricName.join("..first..", ".second.") == "first.second")
        #expect(MetricName.join(".", "x") == ".x")  // a node of dots strips to empty but is still joined
        let listener = try StatsdListener()
        try Self.client(listener, namespace: "myservice.").counter("server.greet.success").increment()
        #expect(listener.receive() == "myservice.server.greet.success:1|c")
    }

    @Test func tagsUsePythonText() throws {
        var tags: MetricTags = ["success": MetricTags.text(true), "error": MetricTags.text(false)]
        tags["ratio"] = MetricTags.text(3.0)
        tags["success"] = MetricTags.text(false)  // replaced in place, as in a dict
        var out: [UInt8] = []
        tags.append(to: &out)
        #expect(String(decoding: out, as: UTF8.self) == ",success=False,error=False,ratio=3.0")
        let base: MetricTags = ["a": "1"], merged: MetricTags = ["a": "3", "b": "2"]
        #expect(base.merging(["b": "2", "a": "3"]) == merged)
    }

    @Test func batchIsOneDatagramWithCountersLast() throws {
        let listener = try StatsdListener()
        let client = try Self.client(listener, namespace: "ns")
        let batch = client.batch()
        batch.counter("froozles").increment()
        batch.counter("blargs").decrement(3)
        batch.timer("something").send(seconds: 0.0123456)
        batch.counter("froozles").increment(2)
        batch.counter("froozles").increment(sampleRate: 0.5)
        batch.gauge("workers").replace(4)
        batch.histogram("sizes").addSample(1234567)
        #expect(listener.receive(timeout: 0.2) == nil)  // nothing before the flush
        batch.flush()
        #expect(listener.receiveAll() == [
            "ns.something:12.3456|ms\nns.workers:4|g\nns.sizes:1.23457e+06|h\nns.froozles:3|c\nns.froozles:1|c|@0.5\nns.blargs:-3|c",
        ])
        batch.flush()  // nothing left: nothing sent
        batch.counter("again").increment()
        batch.flush()
        #expect(listener.receiveAll() == ["ns.again:1|c"])
    }

    @Test func counterHandlesAndJoinedNames() throws {
        let listener = try StatsdListener()
        let batch = try Self.client(listener, namespace: "ns").batch()
        let early = batch.counter("hits")
        early.increment()
        batch.counter(".hits.").increment(2)  // joins to the same name: the same counter
        batch.flush()
        early.increment()  // a handle from before the flush counts into nothing, as in baseplate.py
        batch.flush()
        #expect(listener.receiveAll() == ["ns.hits:3|c"])
    }

    @Test func batchBaseTagsAndNamespace() throws {
        let listener = try StatsdListener()
        let batch = try Self.client(listener, namespace: "myservice").batch()
        batch.namespace += ".runtime"
        batch.baseTags["hostname"] = "myhost"
        batch.baseTags["PID"] = "123"
        batch.gauge("open_connections").replace(3)
        batch.gauge("gc.collections", tags: ["generation": "0"]).replace(107)
        batch.timer("hub_blocked").send(seconds: 0.25)
        // baseplate.py quirk: counters key on the name and ignore the base tags
        batch.counter("c", tags: ["a": "1"]).increment()
        batch.counter("c", tags: ["a": "2"]).increment()
        batch.flush()
        #expect(listener.receive() == """
            myservice.runtime.open_connections,hostname=myhost,PID=123:3|g
            myservice.runtime.gc.collections,hostname=myhost,PID=123,generation=0:107|g
            myservice.runtime.hub_blocked,hostname=myhost,PID=123:250|ms
            myservice.runtime.c,a=1:2|c
            """)
        let tagged = try Self.client(listener).batch()
        tagged.namespace += ".runtime"
        tagged.gauge("active_requests").replace(1)
        tagged.flush()
        #expect(listener.receive() == "runtime.active_requests:1|g")
    }

    @Test func oversizedBatchIsDroppedWithWarning() throws {
        let listener = try StatsdListener()
        let logs = CapturedLogs()
        let batch = try Self.client(listener, logs: logs).batch()
        batch.counter("big").increment(7)
        batch.counter("bigger").increment(9)
        batch.histogram(String(repeating: "x", count: 65536)).addSample(1)
        batch.flush()
        #expect(listener.receive(timeout: 0.3) == nil)
        let warning = try #require(logs.messages.first { $0.level == .warning })
        #expect(warning.message.hasPrefix("Metrics batch of 65559 bytes is too large to send, flush more often"))
        #expect(warning.message.hasSuffix("Top counters: bigger=9, big=7"))
        batch.counter("small").increment()
        batch.flush()  // the batch still works afterwards
        #expect(listener.receive() == "small:1|c")
    }

    @Test func refusedSendsAreLoggedRateLimited() throws {
        var port = 0
        do {
            let closed = try StatsdListener()  // a port that was free a moment ago
            port = closed.port
        }
        let logs = CapturedLogs()
        let client = MetricsClient(
            namespace: "", transport: try MetricsTransport(endpoint: .inet(host: "127.0.0.1", port: port), logger: logs.logger))
        for _ in 0..<50 {
            let batch = client.batch()
            batch.counter("x").increment()
            batch.flush()
        }
        let warnings = logs.messages.filter { $0.level == .warning }.map(\.message)
        #expect(warnings.contains("Failed to send metrics batch: [Errno 111] Connection refused"))
        #expect(warnings.count <= 2)  // once a second at most
    }

    @Test func swallowedErrorsLogAsBaseplateDoes() throws {
        let logs = CapturedLogs()
        let transport = try MetricsTransport(endpoint: try StatsdListener().endpoint, swallowNetworkErrors: true, logger: logs.logger)
        let batch = MetricsClient(namespace: "", transport: transport).batch()
        batch.histogram(String(repeating: "y", count: 70000)).addSample(1)
        batch.flush()
        #expect(logs.messages.map(\.message) == ["Failed to send to metrics collector"])
        #expect(logs.messages.first?.level == .error)
    }

    @Test func nullTransportLogsLinesWhenAsked() throws {
        let logs = CapturedLogs()
        let quiet = MetricsClient(namespace: "ns", transport: MetricsTransport(nullLoggingLines: false, logger: logs.logger))
        quiet.counter("a").increment()
        #expect(logs.messages.isEmpty)
        let verbose = MetricsClient(namespace: "ns", transport: MetricsTransport(nullLoggingLines: true, logger: logs.logger))
        let batch = verbose.batch()
        batch.timer("t").send(seconds: 1)
        batch.counter("a").increment()
        batch.flush()
        #expect(logs.messages.map(\.message) == ["Would send metric b'ns.t:1000|ms'", "Would send metric b'ns.a:1|c'"])
        #expect(logs.messages.allSatisfy { $0.level == .debug })
    }

    @Test func clientFromConfig() throws {
        let listener = try StatsdListener()
        let client = try MetricsClient.fromConfig(["metrics.namespace": "svc", "metrics.endpoint": "127.0.0.1:\(listener.port)"])
        #expect(client.namespace == "svc")
        client.counter("x").increment()
        #expect(listener.receive() == "svc.x:1|c")
        let null = try MetricsClient.fromConfig(["metrics.namespace": "svc", "metrics.endpoint": ""])
        #expect(null.transport.isNull)
        #expect(try MetricsClient.fromConfig([:]).namespace == "")
        #expect(throws: ConfigurationError.self) { try MetricsClient.fromConfig(["metrics.endpoint": "nope"]) }
        #expect(throws: ConfigurationError.self) { try MetricsClient.fromConfig(["metrics.log_if_unconfigured": "maybe"]) }
    }

    /// A UNIX datagram endpoint; a collector that stops reading fills its queue, and then sends
    /// are dropped with a warning instead of blocking (the kernel answers EAGAIN).
    @Test func unixEndpointNeverBlocks() throws {
        let path = "/tmp/bp-statsd-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer {
            close(fd)
            unlink(path)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
        let logs = CapturedLogs()
        let client = try MetricsClient.fromConfig(["metrics.namespace": "svc", "metrics.endpoint": path], logger: logs.logger)
        client.counter("first").increment()
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = recv(fd, &buffer, buffer.count, 0)
        #expect(String(decoding: buffer[0..<max(n, 0)], as: UTF8.self) == "svc.first:1|c")
        let started = ContinuousClock.now
        for _ in 0..<5000 { client.gauge("queued").replace(1) }  // nobody reads: the queue fills
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(logs.messages.contains { $0.level == .warning && $0.message.hasPrefix("Metrics socket buffer full: dropped a datagram of ") })
    }
}
