import Foundation

/// Exponential backoff with full jitter, for calls that failed without a verdict.
///
/// Attempt n (0 for the first retry) waits a uniformly random time in `0...min(cap, base * 2^n)`, or the
/// server's `retryAfter` when that is longer. A pure value: randomness and time are passed in.
public struct RetryPolicy: Sendable, Hashable {
    public var base: Duration
    public var cap: Duration

    public init(base: Duration = .seconds(1), cap: Duration = .seconds(300)) {
        self.base = base
        self.cap = cap
    }

    /// The longest wait before retry `attempt` (before jitter): `min(cap, base * 2^attempt)`.
    public func ceiling(attempt: Int) -> Duration {
        let exponent = min(max(0, attempt), 62)
        let scaled = base.secondsDouble * pow(2, Double(exponent))
        return scaled >= cap.secondsDouble ? cap : Self.duration(seconds: scaled)
    }

    /// The wait before retry `attempt`, with full jitter from `generator`, never shorter than `retryAfter`.
    public func delay(
        attempt: Int,
        retryAfter: Duration? = nil,
        using generator: inout some RandomNumberGenerator
    ) -> Duration {
        let ceiling = ceiling(attempt: attempt).secondsDouble
        // The top 53 bits as a fraction in [0, 1): one draw, no rejection loop.
        let fraction = Double(generator.next() >> 11) * 0x1p-53
        let jittered = Self.duration(seconds: fraction * ceiling)
        guard let retryAfter, retryAfter > jittered else { return jittered }
        return retryAfter
    }

    /// The wait before retry `attempt`, with the system's random numbers.
    public func delay(attempt: Int, retryAfter: Duration? = nil) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(attempt: attempt, retryAfter: retryAfter, using: &generator)
    }

    /// Whether a failing call first tried at `firstAttempt` has been retried long enough (`max_retry_hours`).
    public func shouldGiveUp(firstAttempt: Date, now: Date, maxRetryHours: Double) -> Bool {
        now.timeIntervalSince(firstAttempt) >= maxRetryHours * 3600
    }

    private static func duration(seconds: Double) -> Duration {
        .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
