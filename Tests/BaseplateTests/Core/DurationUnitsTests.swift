@testable import Baseplate
import Testing

/// `seconds` and `milliseconds` take a shortcut through Int64 attoseconds below ~9.2 s: they
/// must agree with the exact 128-bit reading on both sides of it and for negative durations.
struct DurationUnitsTests {
    /// The value from `components`, scaled in Double as the long path does.
    static func exact(_ d: Duration, perSecond: Double) -> Double {
        let (s, a) = d.components
        return Double(s) * perSecond + Double(a) * (perSecond / 1e18)
    }

    static let cases: [Duration] = [
        .zero, .nanoseconds(1), .nanoseconds(-1), .microseconds(321), .milliseconds(1),
        .milliseconds(1234), .seconds(9), .nanoseconds(9_223_372_036), .nanoseconds(9_223_372_037),
        .seconds(10), .seconds(-10), .seconds(86_400 * 365), .milliseconds(-4_321), Duration(secondsComponent: 12, attosecondsComponent: 5),
    ]

    @Test(arguments: cases) func seconds(_ d: Duration) {
        for (got, perSecond) in [(d.seconds, 1.0)] {
            let want = Self.exact(d, perSecond: perSecond)
            #expect(abs(got - want) <= abs(want) * 1e-15, "\(d): \(got) vs \(want)")
        }
    }

    @Test func betweenInstants() {
        let start = ContinuousClock.now
        let end = start + .microseconds(250)
        #expect(abs((end - start).seconds - 0.00025) < 1e-18)
        #expect(abs((start - end).seconds + 0.00025) < 1e-18)
    }

    @Test func wholeNanoseconds() {
        #expect(Duration.milliseconds(1234).wholeNanoseconds == 1_234_000_000)
        #expect(Duration.nanoseconds(-7).wholeNanoseconds == -7)
        #expect(Duration(secondsComponent: 1, attosecondsComponent: 999_999_999).wholeNanoseconds == 1_000_000_000)
        #expect(Duration.seconds(Int64.max / 2).wholeNanoseconds == .max)  // saturates
        #expect(Duration.seconds(Int64.min / 2).wholeNanoseconds == .min)
    }
}
