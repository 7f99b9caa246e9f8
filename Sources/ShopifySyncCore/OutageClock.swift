/// How long a store has been failing, for `max_retry_hours`: only time while the store is active counts.
///
/// The clock starts at the first failed attempt of an outage and stops at the first success. Time while the
/// store is paused (a refused token), disabled, or the daemon is down does not count: a long pause followed
/// by one 5xx does not give up at once. A value: the worker owns it, time is passed in.
public struct OutageClock: Sendable, Hashable {
    /// Seconds of the current outage counted so far.
    public private(set) var elapsed: Double = 0
    /// The last failure while active, from which the next one counts.
    public private(set) var lastFailure: Double?

    public init() {}

    /// A call failed at `now` (seconds).
    public mutating func failed(now: Double) {
        if let lastFailure { elapsed += max(0, now - lastFailure) }
        lastFailure = now
    }

    /// The store stopped being active (paused, disabled): the time until its next failure does not count.
    public mutating func suspended() {
        lastFailure = nil
    }

    /// A call succeeded: the outage is over.
    public mutating func succeeded() {
        elapsed = 0
        lastFailure = nil
    }

    /// Whether the outage has lasted `maxRetryHours` of active time.
    public func shouldGiveUp(maxRetryHours: Double) -> Bool {
        elapsed >= maxRetryHours * 3_600
    }
}
