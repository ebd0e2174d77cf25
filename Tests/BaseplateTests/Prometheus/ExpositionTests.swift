@testable import Baseplate
import Testing

/// The text format as prometheus_client writes it (vectors from Python's prometheus_client
/// 0.26 and `json.dumps`, run by hand; the integration tests compare with it live).
@Suite struct ExpositionTests {
    @Test func floatsAreWrittenAsPythonAndGoDo() {
        let vectors: [(Double, String)] = [
            (0.0001, "0.0001"), (0.0005, "0.0005"), (0.0025, "0.0025"), (1, "1.0"), (30, "30.0"),
            (1e-05, "1e-05"), (123456, "123456.0"), (1234567, "1.234567e+06"), (1e16, "1e+16"),
            (1e22, "1e+22"), (0.1 + 0.2, "0.30000000000000004"), (2.5e-07, "2.5e-07"), (100, "100.0"),
            (12345678.9, "1.23456789e+07"), (0, "0.0"), (.infinity, "+Inf"), (-3.5, "-3.5"),
        ]
        for (value, text) in vectors {
            #expect(goFloat(value) == text, "\(value)")
        }
    }

    @Test func keysAreThoseOfPythonJSONDumps() {
        let sample = RawSample(type: .counter, metricName: "a", name: "b",
                               labels: [("z", "q\"\\\n"), ("é", "日本😀")], help: "h", value: 0)
        #expect(sample.key == #"["a", "b", {"z": "q\"\\\n", "\u00e9": "\u65e5\u672c\ud83d\ude00"}, "h"]"#)
        let back = RawSample(key: sample.key, type: .counter, value: 0)
        #expect(back?.labels.map(\.1) == ["q\"\\\n", "日本😀"])
        #expect(RawSample(key: "[1, 2]", type: .counter, value: 0) == nil)
        #expect(RawSample(key: #"["a", "b", {"x": "y"}, "h"] trailing"#, type: .counter, value: 0) == nil)
    }

    @Test func wholeExposition() {
        let registry = MetricsRegistry()
        registry.counter("jobs_total", help: "Jobs\\done\nso far", labels: ["kind"]).labels("a\"b").inc(2)
        registry.gauge("pool_size", help: "Pool", labels: ["pool"]).labels("p").set(10)
        registry.gauge("in_flight", help: "In flight", mode: .livesum).labels().inc()
        let h = registry.histogram("lat_seconds", help: "Latency", labels: ["m"], buckets: [0.1, 1]).labels("x")
        h.observe(0.05)
        h.observe(0.5)
        h.observe(7)
        let text = Exposition.render(Exposition.merge([.init(pid: "42", samples: registry.rawSamples())]))
        #expect(text == """
            # HELP in_flight In flight
            # TYPE in_flight gauge
            in_flight 1.0
            # HELP jobs_total Jobs\\\\done\\nso far
            # TYPE jobs_total counter
            jobs_total{kind="a\\"b"} 2.0
            # HELP lat_seconds Latency
            # TYPE lat_seconds histogram
            lat_seconds_bucket{m="x",le="0.1"} 1.0
            lat_seconds_bucket{m="x",le="1.0"} 2.0
            lat_seconds_bucket{m="x",le="+Inf"} 3.0
            lat_seconds_count{m="x"} 3.0
            lat_seconds_sum{m="x"} 7.55
            # HELP pool_size Pool
            # TYPE pool_size gauge
            pool_size{pool="p",pid="42"} 10.0

            """)
    }
}
