#if canImport(Glibc)
import Glibc
#endif

/// The conversions C calls and wire formats need, in one place.
extension Duration {
    /// Seconds as a Double (libev timers).
    package var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
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
