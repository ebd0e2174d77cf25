// baseplate.py's Timespan, TimespanWithLegacyFallback and TimespanOrInfinite, as `Duration`.

/// A span of time that may be infinite: the value of ``ConfigParser/timespanOrInfinite``
/// (baseplate.py returns a timedelta or its `InfiniteTimespan` sentinel).
public enum TimespanOrInfinite: Sendable, Hashable, CustomStringConvertible {
    case finite(Duration)
    case infinite

    /// The span, or nil when infinite.
    public var duration: Duration? {
        if case .finite(let d) = self { return d }
        return nil
    }

    public var description: String {
        switch self {
        case .finite(let d): return d.description
        case .infinite: return "infinite"
        }
    }
}

extension ConfigParser where Value == Duration {
    /// `config.Timespan`: exactly two whitespace-separated words, `<integer> <unit>`, with
    /// the unit `millisecond`, `second`, `minute`, `hour` or `day`, singular or plural
    /// (`30 seconds`, `1 day`). Errors: `invalid specification` (not two words), Python's
    /// `int()` error for the count (`3.2 hours`), `unknown unit`.
    ///
    /// Extension: the abbreviations `ms`, `s`, `sec`, `secs`, `min`, `mins`, `h`, `hr`, `hrs`
    /// and `d` are accepted too (baseplate.py rejects them as `unknown unit`).
    public static var timespan: ConfigParser<Duration> {
        ConfigParser { text in try Timespan.parse(text) }
    }

    /// `config.TimespanWithLegacyFallback`: a ``timespan``, or else a bare number of seconds
    /// (`92`, `0.5`) as older configs wrote it. The error, when both fail, is `float()`'s.
    public static var timespanWithLegacyFallback: ConfigParser<Duration> {
        ConfigParser { text in
            do {
                return try Timespan.parse(text)
            } catch {
                return try Timespan.seconds(PythonText.parseFloat(text).get())
            }
        }
    }
}

extension ConfigParser where Value == TimespanOrInfinite {
    /// `config.TimespanOrInfinite`: exactly `infinite`, or a ``ConfigParser/timespan``.
    public static var timespanOrInfinite: ConfigParser<TimespanOrInfinite> {
        ConfigParser { text in
            text == "infinite" ? .infinite : .finite(try Timespan.parse(text))
        }
    }
}

enum Timespan {
    private static let secondsPerUnit: [String: Int64] = [
        "second": 1, "minute": 60, "hour": 3600, "day": 86400,
    ]
    private static let abbreviations: [String: String] = [
        "ms": "millisecond", "s": "second", "sec": "second", "secs": "second",
        "min": "minute", "mins": "minute", "h": "hour", "hr": "hour", "hrs": "hour", "d": "day",
    ]

    static func parse(_ text: String) throws -> Duration {
        let parts = PythonText.split(text)
        guard parts.count == 2 else { throw ConfigValueError("invalid specification") }
        let count = try PythonText.parseInt(parts[0]).get()
        var unit = abbreviations[parts[1]] ?? parts[1]
        while unit.hasSuffix("s") { unit.removeLast() }  // Python's unit.rstrip("s")
        if unit == "millisecond" { return .milliseconds(count) }
        guard let scale = secondsPerUnit[unit] else { throw ConfigValueError("unknown unit") }
        let (seconds, overflow) = Int64(count).multipliedReportingOverflow(by: scale)
        guard !overflow else { throw ConfigValueError("timespan out of range") }
        return .seconds(seconds)
    }

    /// A float number of seconds, rounded to microseconds as Python's `timedelta` stores it.
    static func seconds(_ value: Double) throws -> Duration {
        guard value.isFinite else {
            throw ConfigValueError(value.isNaN ? "cannot convert float NaN to integer"
                                               : "cannot convert float infinity to integer")
        }
        let micros = (value * 1_000_000).rounded(.toNearestOrEven)
        guard abs(micros) < 9.2e18 else { throw ConfigValueError("timespan out of range") }
        return .microseconds(Int64(micros))
    }
}
