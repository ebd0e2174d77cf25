/// Tags of a statsd line, in insertion order (a Python dict's order), InfluxDB-style:
/// `name,k1=v1,k2=v2:value|type`. Values are text as Python's `str()` makes it: use
/// `MetricTags.text(_:)` for booleans and floats (`True`, `3.0`).
public struct MetricTags: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    public private(set) var keys: [String] = []
    public private(set) var values: [String] = []

    public init() {}

    public init(dictionaryLiteral elements: (String, String)...) {
        for (key, value) in elements { self[key] = value }
    }

    public var isEmpty: Bool { keys.isEmpty }

    /// Setting an existing key replaces its value in place (dict semantics); nil removes it.
    public subscript(key: String) -> String? {
        get { keys.firstIndex(of: key).map { values[$0] } }
        set {
            if let i = keys.firstIndex(of: key) {
                if let newValue {
                    values[i] = newValue
                } else {
                    keys.remove(at: i)
                    values.remove(at: i)
                }
            } else if let newValue {
                keys.append(key)
                values.append(newValue)
            }
        }
    }

    /// `{**self, **other}`.
    public func merging(_ other: MetricTags) -> MetricTags {
        if other.isEmpty { return self }
        if isEmpty { return other }
        var merged = self
        for (k, v) in zip(other.keys, other.values) { merged[k] = v }
        return merged
    }

    /// Python's `str()` of a bool: `True` / `False`.
    public static func text(_ value: Bool) -> String { value ? "True" : "False" }
    /// Python's `str()` of a float: `3.0`, `0.1`, `1e+16`.
    public static func text(_ value: Double) -> String { PythonFloatText.str(value) }

    /// `,k=v,k=v` (nothing when empty), as baseplate.py's `_format_tags`.
    func append(to out: inout some ByteSink) {
        guard !keys.isEmpty else { return }  // the usual case: no zip, no retains
        for (k, v) in zip(keys, values) {
            out.append(UInt8(ascii: ","))
            var k = k, v = v
            k.withUTF8 { out.append(contentsOf: $0) }
            out.append(UInt8(ascii: "="))
            v.withUTF8 { out.append(contentsOf: $0) }
        }
    }
}
