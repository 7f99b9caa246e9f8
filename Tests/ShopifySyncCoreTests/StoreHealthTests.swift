import ShopifySyncCore
import Testing

/// Store health transitions as a table, with a fixed clock and a backoff of `attempt` seconds (plus
/// retry-after when longer).
@Suite("Store health")
struct StoreHealthTests {
    static func backoff(_ attempt: Int, _ retryAfter: Double?) -> Double { max(Double(attempt), retryAfter ?? 0) }

    static func after(_ start: StoreHealth, _ trouble: StoreHealth.Trouble, now: Double = 100) -> StoreHealth {
        var health = start
        health.observe(trouble, now: now, backoff: backoff)
        return health
    }

    @Test(
        "observe: each state meets each trouble",
        arguments: [
            (
                StoreHealth.ok, StoreHealth.Trouble.unavailable(reason: "HTTP 503", retryAfter: nil),
                StoreHealth.backoff(until: 101, failures: 1, reason: "HTTP 503")
            ),
            (
                .backoff(until: 90, failures: 2, reason: "a"), .unavailable(reason: "b", retryAfter: nil),
                .backoff(until: 103, failures: 3, reason: "b")
            ),
            (
                .backoff(until: 90, failures: 2, reason: "a"), .unavailable(reason: "b", retryAfter: 30),
                .backoff(until: 130, failures: 3, reason: "b")
            ),
            (.ok, .throttled(retryAfter: 2.5), .throttled(until: 102.5)),
            (.ok, .throttled(retryAfter: nil), .throttled(until: 101)),
            (.backoff(until: 90, failures: 2, reason: "a"), .throttled(retryAfter: 4), .throttled(until: 104)),
            (.ok, .accessDenied(reason: "401"), .paused(reason: "401", nextProbe: 101, probes: 1)),
            (.throttled(until: 150), .accessDenied(reason: "403"), .paused(reason: "403", nextProbe: 101, probes: 1)),
            (
                .paused(reason: "401", nextProbe: 90, probes: 3), .accessDenied(reason: "401"),
                .paused(reason: "401", nextProbe: 104, probes: 4)
            ),
            // A failing probe keeps the store paused and pushes the next probe back.
            (
                .paused(reason: "401", nextProbe: 90, probes: 3), .unavailable(reason: "HTTP 502", retryAfter: nil),
                .paused(reason: "401", nextProbe: 104, probes: 4)
            ),
            (
                .paused(reason: "401", nextProbe: 90, probes: 3), .throttled(retryAfter: 7),
                .paused(reason: "401", nextProbe: 107, probes: 3)
            ),
            // A disabled store sends nothing, so nothing it hears changes it.
            (.disabled, .accessDenied(reason: "401"), .disabled),
            (.disabled, .unavailable(reason: "x", retryAfter: nil), .disabled),
        ]
    )
    func observe(start: StoreHealth, trouble: StoreHealth.Trouble, expected: StoreHealth) {
        #expect(Self.after(start, trouble) == expected)
    }

    @Test(
        "a success makes every state but disabled ok",
        arguments: [
            (StoreHealth.ok, StoreHealth.ok), (.backoff(until: 1, failures: 9, reason: "r"), .ok),
            (.throttled(until: 5), .ok), (.paused(reason: "401", nextProbe: 3, probes: 2), .ok), (.disabled, .disabled),
        ]
    )
    func succeeded(start: StoreHealth, expected: StoreHealth) {
        var health = start
        health.succeeded()
        #expect(health == expected)
    }

    @Test("enabled = false disables from any state; enabled again is ok; an enabled store keeps its state")
    func configure() {
        var health = StoreHealth.paused(reason: "401", nextProbe: 3, probes: 2)
        health.configure(enabled: true)
        #expect(health == .paused(reason: "401", nextProbe: 3, probes: 2))
        health.configure(enabled: false)
        #expect(health == .disabled)
        health.configure(enabled: true)
        #expect(health == .ok)
    }

    @Test(
        "name, reason, waitsUntil and isPaused",
        arguments: [
            (StoreHealth.ok, "ok", String?.none, Double?.none, false),
            (.backoff(until: 7, failures: 1, reason: "HTTP 503"), "backoff", "HTTP 503", 7, false),
            (.throttled(until: 8), "throttled", nil, 8, false),
            (.paused(reason: "401", nextProbe: 9, probes: 1), "paused", "401", 9, true),
            (.disabled, "disabled", nil, nil, false),
        ]
    )
    func views(health: StoreHealth, name: String, reason: String?, waitsUntil: Double?, isPaused: Bool) {
        #expect(health.name.rawValue == name)
        #expect(health.reason == reason)
        #expect(health.waitsUntil == waitsUntil)
        #expect(health.isPaused == isPaused)
    }
}
