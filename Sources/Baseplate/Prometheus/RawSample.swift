/// One stored value in prometheus_client's multiprocess terms: what a process writes to its
/// `<type>_<pid>.db` file, and what the exporter merges (from files, or straight from the
/// registry when there is no shared directory). Using one form for both keeps the two paths'
/// output identical.
struct RawSample: Equatable {
    /// The file a value lives in: `counter`, `histogram`, `gauge_livesum`, `gauge_all`.
    enum FileType: Hashable {
        case counter
        case histogram
        case gauge(GaugeMode)

        var prefix: String {
            switch self {
            case .counter: "counter"
            case .histogram: "histogram"
            case .gauge(let mode): "gauge_\(mode.rawValue)"
            }
        }

        /// From a file name's prefix (`counter_123.db` → counter); nil for types baseplate never
        /// writes (summaries, other gauge modes).
        init?(prefix: String) {
            switch prefix {
            case "counter": self = .counter
            case "histogram": self = .histogram
            case "gauge_livesum": self = .gauge(.livesum)
            case "gauge_all": self = .gauge(.all)
            default: return nil
            }
        }
    }

    var type: FileType
    /// The family's name as prometheus_client keeps it (a counter's without `_total`).
    var metricName: String
    /// The sample's own name (`_total`, `_bucket`, `_sum` suffixes).
    var name: String
    /// Sorted by label name; histogram buckets carry `le`.
    var labels: [(String, String)]
    var help: String
    var value: Double

    static func == (a: RawSample, b: RawSample) -> Bool {
        a.type == b.type && a.metricName == b.metricName && a.name == b.name && a.help == b.help
            && a.value == b.value && a.labels.elementsEqual(b.labels, by: { $0 == $1 })
    }

    /// The key prometheus_client's `mmap_key` makes: `json.dumps([metric_name, name, labels,
    /// help], sort_keys=True)`, byte for byte.
    var key: String {
        var out = "["
        PythonJSON.appendString(metricName, to: &out)
        out += ", "
        PythonJSON.appendString(name, to: &out)
        out += ", {"
        for (i, (label, value)) in labels.sorted(by: { $0.0 < $1.0 }).enumerated() {
            if i > 0 { out += ", " }
            PythonJSON.appendString(label, to: &out)
            out += ": "
            PythonJSON.appendString(value, to: &out)
        }
        out += "}, "
        PythonJSON.appendString(help, to: &out)
        out += "]"
        return out
    }

    /// Parses a key written by `key` or by prometheus_client; nil if it is not that shape.
    init?(key: String, type: FileType, value: Double) {
        guard let parts = PythonJSON.parseKey(key) else { return nil }
        self.init(type: type, metricName: parts.metricName, name: parts.name,
                  labels: parts.labels.sorted { $0.0 < $1.0 }, help: parts.help, value: value)
    }

    init(type: FileType, metricName: String, name: String, labels: [(String, String)], help: String, value: Double) {
        self.type = type
        self.metricName = metricName
        self.name = name
        self.labels = labels
        self.help = help
        self.value = value
    }
}

extension MetricsRegistry {
    /// This process's values as raw samples (summed over threads). Every series is included,
    /// zero or not, as prometheus_client writes a series' values when it is made.
    func rawSamples() -> [RawSample] {
        var out: [RawSample] = []
        var words: [Double] = []
        for family in families {
            for (values, word) in family.allSeries {
                let labels = zip(family.labelNames, values).map { ($0, $1) }
                let sorted = labels.sorted { $0.0 < $1.0 }
                switch family.kind {
                case .counter:
                    // prometheus_client strips `_total` from a counter's family name and puts
                    // it back on the sample.
                    let base = family.name.hasSuffix("_total") ? String(family.name.dropLast(6)) : family.name
                    out.append(RawSample(type: .counter, metricName: base, name: base + "_total",
                                         labels: sorted, help: family.help, value: shards.sum(word)))
                case .gauge(let mode):
                    out.append(RawSample(type: .gauge(mode), metricName: family.name, name: family.name,
                                         labels: sorted, help: family.help, value: shards.sum(word)))
                case .histogram(let bounds):
                    shards.sum(word, count: bounds.count + 1, into: &words)
                    for (i, bound) in bounds.enumerated() {
                        // `le` goes last, after the sorted labels, as prometheus_client orders it.
                        out.append(RawSample(type: .histogram, metricName: family.name, name: family.name + "_bucket",
                                             labels: sorted + [("le", goFloat(bound))], help: family.help, value: words[i]))
                    }
                    out.append(RawSample(type: .histogram, metricName: family.name, name: family.name + "_sum",
                                         labels: sorted, help: family.help, value: words[bounds.count]))
                }
            }
        }
        return out
    }
}
