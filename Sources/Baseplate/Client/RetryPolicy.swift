/// How many times, and for how long, to try an operation (baseplate.py's `RetryPolicy.new`).
///
/// Each attempt gets the time left in the budget (nil without a budget). It keeps baseplate.py's
/// arithmetic, including its quirk: with a budget, the first attempt comes before the attempt
/// limit is consulted, so `attempts: 3` with a budget allows 4.
public struct RetryPolicy: Sendable, Hashable {
    public var attempts: Int?
    public var budget: Duration?
    /// Sleep before attempt k ≥ 1: `backoff * 2^(k-1)`, capped to the time left.
    public var backoff: Duration?

    public init(attempts: Int? = nil, budget: Duration? = nil, backoff: Duration? = nil) {
        self.attempts = attempts
        self.budget = budget
        self.backoff = backoff
    }

    /// The Thrift client's default: one attempt.
    public static let once = RetryPolicy(attempts: 1)

    /// Walks the attempts of one operation.
    public struct Attempts: Sendable {
        let policy: RetryPolicy
        let start = ContinuousClock.now
        /// Attempts yielded so far (the backoff's counter).
        public private(set) var made = 0
        /// Items consumed from the attempt limit (the budget's first attempt is not one).
        private var limited = 0

        init(_ policy: RetryPolicy) { self.policy = policy }

        /// Sleeps any backoff and returns the next attempt's time left (`.some(nil)`: no
        /// budget), or nil when no attempt is left.
        public mutating func next() async -> Duration?? {
            var remaining: Duration?
            if let budget = policy.budget {
                if made == 0 {
                    remaining = budget
                } else {
                    guard policy.attempts.map({ limited < $0 }) ?? true else { return nil }
                    limited += 1
                    let left = budget - (ContinuousClock.now - start)
                    guard left > .zero else { return nil }
                    remaining = left
                }
            } else {
                guard policy.attempts.map({ limited < $0 }) ?? true else { return nil }
                limited += 1
            }
            if made > 0, let base = policy.backoff {
                var delay = base * (1 << min(made - 1, 30))
                if let left = remaining, left > .zero {
                    delay = min(delay, left)
                    remaining = left - delay
                }
                try? await Task.sleep(for: delay)
            }
            made += 1
            return .some(remaining)
        }
    }

    public func makeAttempts() -> Attempts { Attempts(self) }
}
