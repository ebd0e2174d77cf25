/// Merging raw samples of one or more processes and writing the Prometheus text format
/// (version 0.0.4), as prometheus_client's `MultiProcessCollector` and `generate_latest` do:
/// counters and histograms are summed over processes, `livesum` gauges summed over live ones,
/// other gauges kept per process with a `pid` label, histogram buckets cumulated and `_count`
/// derived from them.
enum Exposition {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    struct Family {
        var name: String
        var type: String
        var help: String
        var samples: [(name: String, labels: [(String, String)], value: Double)] = []
    }

    /// One process's samples, with its id (the `pid` label of its `all` gauges).
    struct Source {
        var pid: String
        var samples: [RawSample]
    }

    static func merge(_ sources: [Source]) -> [Family] {
        struct SeriesKey: Hashable {
            var name: String
            var labels: [String]  // flattened pairs
        }
        struct Accumulating {
            var family: Family
            var order: [SeriesKey] = []
            var values: [SeriesKey: (labels: [(String, String)], value: Double)] = [:]
            // histogram: labels without le -> bound -> count
            var bucketOrder: [[String]] = []
            var buckets: [[String]: (labels: [(String, String)], counts: [Double: Double])] = [:]
        }
        var families: [String: Accumulating] = [:]

        func flat(_ labels: [(String, String)]) -> [String] { labels.flatMap { [$0.0, $0.1] } }

        for source in sources {
            for sample in source.samples {
                let typeName: String
                switch sample.type {
                case .counter: typeName = "counter"
                case .histogram: typeName = "histogram"
                case .gauge: typeName = "gauge"
                }
                var acc = families[sample.metricName]
                    ?? Accumulating(family: Family(name: sample.metricName, type: typeName, help: sample.help))
                var labels = sample.labels
                switch sample.type {
                case .gauge(.all):
                    labels.append(("pid", source.pid))
                    let key = SeriesKey(name: sample.name, labels: flat(labels))
                    if acc.values[key] == nil { acc.order.append(key) }
                    acc.values[key] = (labels, sample.value)
                case .histogram:
                    if let le = labels.firstIndex(where: { $0.0 == "le" }), let bound = parseGoFloat(labels[le].1) {
                        labels.remove(at: le)
                        let key = flat(labels)
                        if acc.buckets[key] == nil {
                            acc.bucketOrder.append(key)
                            acc.buckets[key] = (labels, [:])
                        }
                        acc.buckets[key]!.counts[bound, default: 0] += sample.value
                    } else {
                        fallthrough
                    }
                default:
                    let key = SeriesKey(name: sample.name, labels: flat(labels))
                    if acc.values[key] == nil {
                        acc.order.append(key)
                        acc.values[key] = (labels, 0)
                    }
                    acc.values[key]!.value += sample.value
                }
                families[sample.metricName] = acc
            }
        }

        return families.keys.sorted().map { name in
            var acc = families[name]!
            if acc.family.type == "histogram" {
                // Per label set: cumulative buckets, then _count and _sum.
                var sums: [[String]: Double] = [:]
                for key in acc.order { sums[key.labels] = acc.values[key]!.value }
                var seen = Set<[String]>()
                for key in acc.bucketOrder {
                    seen.insert(key)
                    let (labels, counts) = acc.buckets[key]!
                    var total = 0.0
                    for bound in counts.keys.sorted() {
                        total += counts[bound]!
                        acc.family.samples.append((name + "_bucket", labels + [("le", goFloat(bound))], total))
                    }
                    acc.family.samples.append((name + "_count", labels, total))
                    acc.family.samples.append((name + "_sum", labels, sums[key] ?? 0))
                }
                for key in acc.order where !seen.contains(key.labels) {
                    let (labels, value) = acc.values[key]!
                    acc.family.samples.append((key.name, labels, value))
                }
            } else {
                for key in acc.order {
                    let (labels, value) = acc.values[key]!
                    acc.family.samples.append((key.name, labels, value))
                }
            }
            return acc.family
        }
    }

    /// The text format, as prometheus_client's `generate_latest` writes it.
    static func render(_ families: [Family]) -> String {
        var out = ""
        for family in families {
            // A counter's HELP and TYPE lines name it with `_total`.
            let name = family.type == "counter" ? family.name + "_total" : family.name
            out += "# HELP \(name) \(escapeHelp(family.help))\n"
            out += "# TYPE \(name) \(family.type)\n"
            for sample in family.samples {
                out += sample.name
                if !sample.labels.isEmpty {
                    out += "{"
                    out += sample.labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",")
                    out += "}"
                }
                out += " \(goFloat(sample.value))\n"
            }
        }
        return out
    }

    static func escapeHelp(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static func escapeLabel(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"": out += "\\\""
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Reads an `le` label back (`+Inf`, `0.005`, `1e+06`...).
    static func parseGoFloat(_ text: String) -> Double? {
        switch text {
        case "+Inf", "inf", "Inf": .infinity
        case "-Inf": -.infinity
        default: Double(text)
        }
    }
}

private func parseGoFloat(_ text: String) -> Double? { Exposition.parseGoFloat(text) }
