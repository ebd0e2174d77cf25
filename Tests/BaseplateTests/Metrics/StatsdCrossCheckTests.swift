import Foundation
import Testing
@testable import Baseplate

/// Our batches against baseplate==2.7.0's own `baseplate.lib.metrics` (from the repository's
/// venv): a few hundred random batches of timers, counters, gauges and histograms, with
/// namespaces, base tags, tags and sample rates; every datagram must be byte-identical.
@Suite(.enabled(if: PythonOracle.available, "needs .venv/bin/python (make venv)"))
struct StatsdCrossCheckTests {
    struct Op: Codable {
        var k: String
        var n: String
        var t: [[String]]
        var v: String
        var r: String
    }

    struct Sequence: Codable {
        var ns: String
        var base: [[String]]
        var ops: [Op]
    }

    static let script = #"""
        import json, sys
        from baseplate.lib import metrics
        class Capture(metrics.Transport):
            def __init__(self):
                self.sent = []
            def send(self, message):
                self.sent.append(message)
            def flush(self):
                pass
        for seq in json.load(open(sys.argv[1])):
            capture = Capture()
            batch = metrics.Client(capture, seq["ns"]).batch()
            for k, v in seq["base"]:
                batch.base_tags[k] = v
            for op in seq["ops"]:
                tags = dict(op["t"]) or None
                value, rate = float(op["v"]), float(op["r"])
                if op["k"] == "timer":
                    batch.timer(op["n"], tags).send(value, rate)
                elif op["k"] == "counter":
                    batch.counter(op["n"], tags).increment(value, rate)
                elif op["k"] == "gauge":
                    batch.gauge(op["n"], tags).replace(value)
                else:
                    batch.histogram(op["n"], tags).add_sample(value)
            batch.flush()
            print(json.dumps([m.decode() for m in capture.sent]))
        """#

    static func sequences(count: Int) -> [Sequence] {
        var rng = SystemRandomNumberGenerator()
        func pick<T>(_ xs: [T]) -> T { xs[Int.random(in: 0..<xs.count, using: &rng)] }
        func value(nonNegative: Bool) -> Double {
            let magnitude = Double.random(in: 0..<10, using: &rng) * pow(10, Double(Int.random(in: -7...9, using: &rng)))
            let v = pick([magnitude, magnitude.rounded(), 1, 0, 0.5, 1234565, 3.14])
            return nonNegative || Bool.random(using: &rng) ? v : -v
        }
        let names = ["a", "b.c", ".d.", "server.greet", "x_y", "clients.downstream.get", "a"]
        let tagKeys = ["success", "endpoint", "client", "hostname", "PID"]
        let tagValues = ["True", "False", "greet", "", "3.0", "a b"]
        return (0..<count).map { _ in
            let ops = (0..<Int.random(in: 1...12, using: &rng)).map { _ -> Op in
                let kind = pick(["timer", "counter", "counter", "gauge", "histogram"])
                let tags = (0..<Int.random(in: 0...3, using: &rng)).map { _ in [pick(tagKeys), pick(tagValues)] }
                return Op(k: kind, n: pick(names), t: tags, v: "\(value(nonNegative: kind == "gauge"))",
                          r: "\(pick([1.0, 1.0, 0.5, 0.1, 0.25, 0.001, 1.0 / 3]))")
            }
            let base = (0..<Int.random(in: 0...2, using: &rng)).map { _ in [pick(tagKeys), pick(tagValues)] }
            return Sequence(ns: pick(["", "ns", "myservice.runtime", "a.b.", ".x."]), base: base, ops: ops)
        }
    }

    @Test func batchesMatchBaseplatePy() throws {
        let sequences = Self.sequences(count: 300)
        let expected = try PythonOracle.run(Self.script, input: try JSONEncoder().encode(sequences), environment: [:])
        #expect(expected.count == sequences.count)
        let listener = try StatsdListener()
        let transport = try MetricsTransport(endpoint: listener.endpoint)
        var mismatches = 0
        for (sequence, line) in zip(sequences, expected) {
            let batch = MetricsClient(namespace: sequence.ns, transport: transport).batch()
            for pair in sequence.base { batch.baseTags[pair[0]] = pair[1] }
            for op in sequence.ops {
                var tags = MetricTags()
                for pair in op.t { tags[pair[0]] = pair[1] }
                let value = Double(op.v)!, rate = Double(op.r)!
                switch op.k {
                case "timer": batch.timer(op.n, tags: tags).send(seconds: value, sampleRate: rate)
                case "counter": batch.counter(op.n, tags: tags).increment(value, sampleRate: rate)
                case "gauge": batch.gauge(op.n, tags: tags).replace(value)
                default: batch.histogram(op.n, tags: tags).addSample(value)
                }
            }
            batch.flush()
            let python = try JSONDecoder().decode([String].self, from: Data(line.utf8))
            let ours = python.isEmpty ? [] : [listener.receive()].compactMap { $0 }
            if ours != python {
                mismatches += 1
                if mismatches <= 5 { Issue.record("\(sequence)\nours:   \(ours)\npython: \(python)") }
            }
        }
        #expect(mismatches == 0)
    }

    /// The same span activity (child client and local spans, incr tags, an error log, the
    /// handler's own counter) through baseplate.py's observers and ours: the same datagrams.
    static let observerScript = #"""
        import json, re, sys
        from baseplate import RequestContext, ServerSpan
        from baseplate.lib import metrics
        from baseplate.observers.metrics import MetricsBaseplateObserver
        from baseplate.observers.metrics_tagged import TaggedMetricsBaseplateObserver

        class Capture(metrics.Transport):
            def __init__(self):
                self.sent = []
            def send(self, message):
                self.sent.append(message.decode())
            def flush(self):
                pass

        class Refused(Exception):
            pass

        def exercise(observer):
            context = RequestContext({})
            server = ServerSpan("1", None, "1", None, 0, "greet", context)
            observer.on_server_span_created(context, server)
            server.set_tag("protocol", "thrift")
            server.start()
            context.metrics.counter("custom").increment()
            call = server.make_child("downstream.get_thing")
            call.set_tag("ratio", 2.0)
            call.start()
            call.incr_tag("cache.hits", 3)
            call.log("error.object", Refused())
            try:
                raise Refused()
            except Refused:
                call.finish(exc_info=sys.exc_info())
            local = server.make_child("render", local=True, component_name="templates")
            local.start()
            local.incr_tag("cache.hits")
            local.finish()
            server.incr_tag("cache.hits", 2)
            server.finish()

        for kind in ["untagged", "tagged"]:
            capture = Capture()
            if kind == "untagged":
                exercise(MetricsBaseplateObserver(metrics.Client(capture, "myservice")))
            else:
                exercise(TaggedMetricsBaseplateObserver(metrics.Client(capture, ""), {"ratio", "client", "endpoint"}))
            print(json.dumps([re.sub(r":[0-9.e+-]+\|ms", ":<ms>|ms", m) for m in capture.sent]))
        """#

    @Test func observersMatchBaseplatePy() throws {
        let expected = try PythonOracle.run(Self.observerScript, input: Data("[]".utf8), environment: [:])
            .map { try JSONDecoder().decode([String].self, from: Data($0.utf8)) }
        #expect(expected.count == 2)
        let listener = try StatsdListener()
        let transport = try MetricsTransport(endpoint: listener.endpoint)
        _ = MetricsObserverTests.exerciseSpans(MetricsObserver(client: MetricsClient(namespace: "myservice", transport: transport)))
        let untagged = listener.receiveAll().compactMap { MetricsObserverTests.masked($0) }
        _ = MetricsObserverTests.exerciseSpans(TaggedMetricsObserver(
            client: MetricsClient(namespace: "", transport: transport), allowlist: ["ratio"]))
        let tagged = listener.receiveAll().compactMap { MetricsObserverTests.masked($0) }
        #expect([untagged, tagged] == expected)
    }
}
