/// A store's health: what its worker may do next, and what `status`, the journal and metrics say of it.
///
/// One value with explicit transitions, driven by ``observe(_:now:backoff:)`` and ``succeeded()``; time is
/// passed in (seconds on any monotonic scale), and so is the backoff policy, so every rule is a table test.
public enum StoreHealth: Sendable, Hashable {
    case ok
    /// Shopify failed without a verdict (5xx, network, timeout): wait until `until`, then send again.
    case backoff(until: Double, failures: Int, reason: String)
    /// The cost bucket is empty (THROTTLED, 429): wait until `until`.
    case throttled(until: Double)
    /// Shopify refused the token (401, 402, 403, 423): the store's work waits; a cheap read probes it at
    /// `nextProbe`, with backoff.
    case paused(reason: String, nextProbe: Double, probes: Int)
    /// `enabled = false`: nothing is sent; the store's lines wait.
    case disabled

    /// The states' names, as the ledger stores them and `status` and metrics show them.
    public enum Name: String, Sendable, Hashable, CaseIterable, Codable {
        case ok, backoff, throttled, paused, disabled
    }

    /// Why a call to the store did not reach a verdict, as far as its health is concerned.
    public enum Trouble: Sendable, Hashable {
        case throttled(retryAfter: Double?)
        case accessDenied(reason: String)
        case unavailable(reason: String, retryAfter: Double?)
    }

    public var name: Name {
        switch self {
        case .ok: .ok
        case .backoff: .backoff
        case .throttled: .throttled
        case .paused: .paused
        case .disabled: .disabled
        }
    }

    /// What `status` shows after the name (`paused: 401`), if anything.
    public var reason: String? {
        switch self {
        case .backoff(_, _, let reason), .paused(let reason, _, _): reason
        case .ok, .throttled, .disabled: nil
        }
    }

    /// Until when the worker sends nothing (nil: it may send now, or, disabled, never).
    public var waitsUntil: Double? {
        switch self {
        case .backoff(let until, _, _), .throttled(let until): until
        case .paused(_, let nextProbe, _): nextProbe
        case .ok, .disabled: nil
        }
    }

    /// Whether the next call must be a probe (a cheap read) rather than work.
    public var isPaused: Bool {
        if case .paused = self { return true }
        return false
    }

    /// A call failed with `trouble` at `now`; `backoff(attempt, retryAfter)` is the wait before attempt
    /// `attempt` (1 for the first retry).
    ///
    /// A refused token pauses the store (a failed probe pushes the next one back); while paused, other
    /// failures only push the next probe back, they do not unpause it. Throttling waits for the bucket.
    public mutating func observe(
        _ trouble: Trouble,
        now: Double,
        backoff: (_ attempt: Int, _ retryAfter: Double?) -> Double
    ) {
        switch (self, trouble) {
        case (.disabled, _):
            return
        case (.paused(_, _, let probes), .accessDenied(let reason)):
            self = .paused(reason: reason, nextProbe: now + backoff(probes + 1, nil), probes: probes + 1)
        case (_, .accessDenied(let reason)):
            self = .paused(reason: reason, nextProbe: now + backoff(1, nil), probes: 1)
        case (.paused(let reason, let nextProbe, let probes), .throttled(let retryAfter)):
            self = .paused(reason: reason, nextProbe: max(nextProbe, now + (retryAfter ?? 1)), probes: probes)
        case (.paused(let reason, _, let probes), .unavailable(_, let retryAfter)):
            self = .paused(reason: reason, nextProbe: now + backoff(probes + 1, retryAfter), probes: probes + 1)
        case (_, .throttled(let retryAfter)):
            self = .throttled(until: now + (retryAfter ?? 1))
        case (.backoff(_, let failures, _), .unavailable(let reason, let retryAfter)):
            self = .backoff(until: now + backoff(failures + 1, retryAfter), failures: failures + 1, reason: reason)
        case (_, .unavailable(let reason, let retryAfter)):
            self = .backoff(until: now + backoff(1, retryAfter), failures: 1, reason: reason)
        }
    }

    /// A call succeeded: the store is ok (a disabled store stays disabled).
    public mutating func succeeded() {
        if self != .disabled { self = .ok }
    }

    /// The config's `enabled` flag, read before each unit of work.
    public mutating func configure(enabled: Bool) {
        if !enabled {
            self = .disabled
        } else if self == .disabled {
            self = .ok
        }
    }
}
