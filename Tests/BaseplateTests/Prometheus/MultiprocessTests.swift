@testable import Baseplate
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Processes sharing a PROMETHEUS_MULTIPROC_DIR: each writes its own files; any one merges all.
@Suite struct MultiprocessTests {
    func temporaryDirectory() -> String {
        var template = Array("/tmp/bp-prom-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    func process(_ dir: String, _ id: String) -> (MetricsRegistry, ThriftServerMetrics, MultiprocessDirectory) {
        let registry = MetricsRegistry()
        return (registry, ThriftServerMetrics(registry: registry), MultiprocessDirectory(path: dir, workerID: id))
    }

    @Test func countersHistogramsAndLiveGaugesAreSummedOtherGaugesLabelledByPid() throws {
        let dir = temporaryDirectory()
        // Our own pid is alive; 1 is init (alive; kill gives EPERM or 0 as root).
        let (r1, m1, d1) = process(dir, String(getpid()))
        let (r2, m2, d2) = process(dir, "1")
        m1.method("greet").started()
        m1.method("greet").finished(success: true, latency: .milliseconds(3))
        m1.method("greet").started()  // still in flight
        m2.method("greet").started()
        m2.method("greet").finished(success: true, latency: .milliseconds(30))
        ThriftClientMetrics(registry: r1).pool("backend").maxSize.set(10)
        ThriftClientMetrics(registry: r2).pool("backend").maxSize.set(5)
        try d1.flush(r1)
        try d2.flush(r2)
        let text = Exposition.render(Exposition.merge(d1.collect()))
        let ok = #"thrift_server_requests_total{thrift_baseplate_status="",thrift_baseplate_status_code="",thrift_exception_type="",thrift_method="greet",thrift_success="true"}"#
        #expect(text.contains("\(ok) 2.0\n"))
        #expect(text.contains("thrift_server_active_requests{thrift_method=\"greet\"} 1.0\n"))
        #expect(text.contains("thrift_server_latency_seconds_bucket{thrift_method=\"greet\",thrift_success=\"true\",le=\"0.005\"} 1.0\n"))
        #expect(text.contains("thrift_server_latency_seconds_bucket{thrift_method=\"greet\",thrift_success=\"true\",le=\"0.05\"} 2.0\n"))
        #expect(text.contains("thrift_server_latency_seconds_count{thrift_method=\"greet\",thrift_success=\"true\"} 2.0\n"))
        #expect(text.contains("thrift_client_pool_max_size{thrift_pool=\"backend\",pid=\"\(getpid())\"} 10.0\n"))
        #expect(text.contains("thrift_client_pool_max_size{thrift_pool=\"backend\",pid=\"1\"} 5.0\n"))

        // Later values overwrite in place.
        m1.method("greet").finished(success: true, latency: .milliseconds(3))
        try d1.flush(r1)
        let again = Exposition.render(Exposition.merge(d2.collect()))
        #expect(again.contains("\(ok) 3.0\n"))
        #expect(again.contains("thrift_server_active_requests{thrift_method=\"greet\"} 0.0\n"))

        // A clean exit removes the live gauge file; counts stay.
        d1.markDead()
        let after = Exposition.render(Exposition.merge(d2.collect()))
        #expect(after.contains("\(ok) 3.0\n"))
    }

    @Test func deadProcessesGaugesAreSkippedAndAReusedIdCarriesCountsOver() throws {
        let dir = temporaryDirectory()
        let dead = deadPID()
        do {
            let (r, m, d) = process(dir, String(dead))
            m.method("m").started()
            m.method("m").finished(success: false, exceptionType: "Boom", latency: .seconds(1))
            m.method("m").started()  // in flight when it "died"
            try d.flush(r)
        }
        let text = Exposition.render(Exposition.merge(MultiprocessDirectory.collect(path: dir)))
        #expect(!text.contains("thrift_server_active_requests{"))
        #expect(text.contains(#"thrift_exception_type="Boom",thrift_method="m",thrift_success="false"} 1.0"#))
        // A new process with the same id continues the counts; its gauges start afresh.
        let (r, m, d) = process(dir, String(dead))
        m.method("m").finished(success: false, exceptionType: "Boom", latency: .seconds(1))
        try d.flush(r)
        let next = Exposition.render(Exposition.merge(MultiprocessDirectory.collect(path: dir)))
        #expect(next.contains(#"thrift_exception_type="Boom",thrift_method="m",thrift_success="false"} 2.0"#))
    }

    @Test func damagedFilesYieldWhatPrecedesTheDamage() throws {
        let dir = temporaryDirectory()
        let file = try MultiprocessFile(path: dir + "/counter_7.db", keepValues: false)
        file.write(key: #"["a", "a_total", {}, "h"]"#, value: 1)
        file.write(key: #"["b", "b_total", {}, "h"]"#, value: 2)
        #expect(MultiprocessFile.read(path: dir + "/counter_7.db")?.map(\.value) == [1, 2])
        // Claim more than is there, and a negative key length.
        var bytes = [UInt8](repeating: 0, count: 64)
        bytes.withUnsafeMutableBytes {
            $0.storeBytes(of: UInt32(4096), as: UInt32.self)
            $0.storeBytes(of: Int32(-5), toByteOffset: 8, as: Int32.self)
        }
        #expect(bytes.withUnsafeBytes { MultiprocessFile.entries($0) }.isEmpty)
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: Int32(1000), toByteOffset: 8, as: Int32.self) }
        #expect(bytes.withUnsafeBytes { MultiprocessFile.entries($0) }.isEmpty)
    }

    /// A pid no process has: a child that has exited and been reaped.
    func deadPID() -> pid_t {
        let pid = fork()
        if pid == 0 { _exit(0) }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return pid
    }
}

/// The exporter's HTTP side: /metrics in the text format, anything else 404.
@Suite struct ExporterTests {
    @Test func servesMetricsAndNotFound() async throws {
        let registry = MetricsRegistry()
        registry.counter("hits_total", help: "Hits").labels().inc()
        var config = PrometheusExporter.Configuration()
        config.host = "127.0.0.1"
        config.port = 0
        let exporter = try PrometheusExporter(configuration: config, registry: registry, logger: Logger(label: "test"))
        exporter.start()
        defer { exporter.stop() }
        let ok = try httpGet(port: exporter.port, path: "/metrics?x=1")
        #expect(ok.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(ok.contains("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
        #expect(ok.hasSuffix("\r\n\r\n# HELP hits_total Hits\n# TYPE hits_total counter\nhits_total 1.0\n"))
        let missing = try httpGet(port: exporter.port, path: "/")
        #expect(missing.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(missing.contains("\r\nContent-Type: text/plain\r\n"))
        #expect(missing.hasSuffix("\r\n\r\nNot Found"))
    }

    struct HTTPFailure: Error {}

    func httpGet(port: Int, path: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw HTTPFailure() }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        _ = send(fd, request, request.count, 0)
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { break }
            response += chunk[0..<n]
        }
        return String(decoding: response, as: UTF8.self)
    }
}
