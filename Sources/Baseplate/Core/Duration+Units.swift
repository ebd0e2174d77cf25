import CBaseplateIO
#if canImport(Glibc)
import Glibc
#endif

/// The conversions C calls and wire formats need, in one place.
extension Duration {
    /// Seconds as a Double (libev timers, Prometheus). Under ~9 s, through Int64 attoseconds:
    /// `components` (a 128-bit division) and Double(Int128) (a generic conversion) cost ~500
    /// instructions a call (callgrind).
    package var seconds: Double {
        let atto = attoseconds
        if atto >= Int128(Int64.min) && atto <= Int128(Int64.max) {
            return Double(Int64(truncatingIfNeeded: atto)) * 1e-18
        }
        let (s, a) = components
        return Double(s) + Double(a) * 1e-18
    }

    /// Whole nanoseconds, truncated, saturating at Int64's range (~292 years).
    package var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow2 ? (seconds < 0 ? .min : .max) : sum
    }

    /// Whole milliseconds, truncated (C timeouts and poll).
    package var wholeMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    /// Whole milliseconds, rounded up, in integers (as baseplate.py's `ceil(t * 1000)`; in
    /// Double, 0.3 s times 1000 rounds up to 301).
    package var millisecondsRoundedUp: Int64 {
        components.seconds * 1000 + (components.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }

    /// Blocks the calling thread (not a task) this long, going on after signals.
    package func sleepThread() {
        var left = timespec(tv_sec: Int(components.seconds), tv_nsec: Int(components.attoseconds / 1_000_000_000))
        var rest = timespec()
        while nanosleep(&left, &rest) != 0 && errno == EINTR { left = rest }
    }
}

/// Request and span timestamps: nanoseconds on ContinuousClock's clock as plain integers.
/// `ContinuousClock.Instant` is a resilient type whose copies go through value witnesses, and
/// reading and subtracting it costs 128-bit arithmetic: ~700 instructions per request for the
/// timestamps a request takes (callgrind). Public APIs still speak in `Instant`s.
package enum Nanoseconds {
    @inline(__always) package static func now() -> Int64 { bpio_now_ns() }

    /// The `ContinuousClock` instant of a reading (the same clock; only the origin is mapped).
    package static func instant(_ nanoseconds: Int64) -> ContinuousClock.Instant {
        origin.instant.advanced(by: .nanoseconds(nanoseconds - origin.nanoseconds))
    }

    private static let origin = (instant: ContinuousClock.now, nanoseconds: bpio_now_ns())
}
