/// A counter series: only goes up. A handle: cheap to copy and keep (no reference counting).
public struct Counter: Sendable {
    let ref: ShardRef
    let word: Int

    public func inc(_ amount: Double = 1) {
        MetricShards.add(ref.current(), word, amount)
    }

    /// The value, summed over threads (a scrape's view; for tests and tools).
    public var value: Double { ref.shards.sum(word) }
}

/// A gauge series. `inc`/`dec` are cheap from any thread; `set` reads every thread's share
/// first, so it is for values that change rarely (a pool's size).
public struct Gauge: Sendable {
    let ref: ShardRef
    let word: Int

    public func inc(_ amount: Double = 1) {
        MetricShards.add(ref.current(), word, amount)
    }

    public func dec(_ amount: Double = 1) {
        MetricShards.add(ref.current(), word, -amount)
    }

    /// Sets the value: this thread's share absorbs the difference. Concurrent `inc`/`dec` from
    /// other threads land on top, as they would on a single cell.
    public func set(_ value: Double) {
        MetricShards.add(ref.current(), word, value - ref.shards.sum(word))
    }

    public var value: Double { ref.shards.sum(word) }
}

/// A histogram series: per-bucket counts (not cumulative; cumulated at exposition) and a sum.
public struct Histogram: Sendable {
    /// prometheus_client's default buckets.
    public static let defaultBuckets: [Double] = [
        0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
    ]
    /// baseplate's `default_latency_buckets` (100 µs to 30 s), which its `*_latency_seconds`
    /// histograms use; they match baseplate.go's.
    public static let baseplateLatencyBuckets: [Double] = [
        0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 15, 30,
    ]

    let ref: ShardRef
    let word: Int
    /// Upper bounds, +Inf last; owned by the family, which lives as long as the registry.
    let bounds: Bounds

    public func observe(_ value: Double) {
        let table = ref.current()
        var bucket = 0
        // The last bound is +Inf, so the scan stops (a NaN lands there too).
        while bucket < bounds.count - 1 && !(value <= bounds[bucket]) { bucket += 1 }
        MetricShards.add(table, word + bucket, 1)
        MetricShards.add(table, word + bounds.count, value)
    }

    public func observe(_ duration: Duration) {
        observe(seconds(duration))
    }

    /// Observations so far and their sum (a scrape's view; for tests and tools).
    public var count: Double {
        var words: [Double] = []
        ref.shards.sum(word, count: bounds.count, into: &words)
        return words.reduce(0, +)
    }

    public var sum: Double { ref.shards.sum(word + bounds.count) }
}

/// A declared counter; `labels(...)` gives a series handle.
public struct CounterFamily: Sendable {
    let family: MetricFamily

    init(_ family: MetricFamily) { self.family = family }

    public func labels(_ values: String...) -> Counter { labels(values) }

    public func labels(_ values: [String]) -> Counter {
        Counter(ref: ShardRef(family.registry.shards), word: family.word(for: values))
    }
}

public struct GaugeFamily: Sendable {
    let family: MetricFamily

    init(_ family: MetricFamily) { self.family = family }

    public func labels(_ values: String...) -> Gauge { labels(values) }

    public func labels(_ values: [String]) -> Gauge {
        Gauge(ref: ShardRef(family.registry.shards), word: family.word(for: values))
    }
}

public struct HistogramFamily: Sendable {
    let family: MetricFamily

    init(_ family: MetricFamily) { self.family = family }

    public func labels(_ values: String...) -> Histogram { labels(values) }

    public func labels(_ values: [String]) -> Histogram {
        Histogram(ref: ShardRef(family.registry.shards), word: family.word(for: values), bounds: family.bounds)
    }
}

/// A duration in seconds. From Duration's two words: `components` divides a 128-bit count and
/// `Double(attoseconds)` goes through a generic conversion, each over a hundred instructions
/// (callgrind), which the request path pays twice.
@inline(__always)
func seconds(_ d: Duration) -> Double {
    (Double(d._high) * 18446744073709551616.0 + Double(d._low)) * 1e-18
}
