import Foundation
import ShopifyAPI
import Testing

private func cost(available: Double, maximum: Double = 2000, restore: Double = 100) -> QueryCost {
    QueryCost(
        requestedQueryCost: 13,
        actualQueryCost: 10,
        throttleStatus: ThrottleStatus(maximumAvailable: maximum, currentlyAvailable: available, restoreRate: restore)
    )
}

@Suite struct CostBudgetTests {
    let t0 = ContinuousClock.now

    @Test func beforeAnyResponseAssumesAFullStandardBucket() {
        let budget = CostBudget()
        #expect(budget.maximumAvailable == 2000)
        #expect(budget.restoreRate == 100)
        #expect(budget.delay(forCost: 13, now: t0) == .zero)
        #expect(budget.delay(forCost: 2000, now: t0) == .zero)
    }

    @Test func observedBucketDecidesAndRestoresOverTime() {
        var budget = CostBudget()
        budget.observe(cost(available: 50), at: t0)
        #expect(budget.delay(forCost: 13, now: t0) == .zero)
        #expect(budget.delay(forCost: 250, now: t0) == .seconds(2))
        #expect(budget.delay(forCost: 250, now: t0 + .seconds(1)) == .seconds(1))
        #expect(budget.delay(forCost: 250, now: t0 + .seconds(2)) == .zero)
        #expect(budget.available(at: t0 + .seconds(1)) == 150)
    }

    @Test func restoringStopsAtTheMaximum() {
        var budget = CostBudget()
        budget.observe(cost(available: 0, maximum: 1000, restore: 50), at: t0)
        #expect(budget.available(at: t0 + .seconds(3600)) == 1000)
        #expect(budget.maximumAvailable == 1000)
        #expect(budget.restoreRate == 50)
        // A cost above the maximum waits for a full bucket, never forever.
        #expect(budget.delay(forCost: 5000, now: t0) == .seconds(20))
    }

    @Test func spendingTakesFromTheLevelAtThatTime() {
        var budget = CostBudget()
        budget.observe(cost(available: 100), at: t0)
        budget.spend(80, at: t0)
        #expect(budget.available(at: t0) == 20)
        #expect(budget.delay(forCost: 13, now: t0) == .zero)
        budget.spend(13, at: t0)
        #expect(budget.delay(forCost: 13, now: t0) == .milliseconds(60))
        // Spending after a pause restores first, then takes.
        budget.spend(100, at: t0 + .seconds(10))
        #expect(budget.available(at: t0 + .seconds(10)) == 907)
    }

    @Test func spendingCanGoNegativeAndThenWaitsLonger() {
        var budget = CostBudget()
        budget.observe(cost(available: 10), at: t0)
        budget.spend(13, at: t0)
        #expect(budget.available(at: t0) == -3)
        #expect(budget.delay(forCost: 13, now: t0) == .milliseconds(160))
    }

    @Test func aLaterObservationReplacesTheModel() {
        var budget = CostBudget()
        budget.spend(1990, at: t0)
        budget.observe(cost(available: 1500), at: t0 + .milliseconds(10))
        #expect(budget.available(at: t0 + .milliseconds(10)) == 1500)
    }
}

/// A deterministic generator for the jitter: a fixed fraction of the range.
private struct FixedFraction: RandomNumberGenerator {
    var fraction: Double

    mutating func next() -> UInt64 {
        UInt64(fraction * Double(UInt64.max >> 11)) << 11
    }
}

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy()

    @Test(arguments: [(0, 1), (1, 2), (2, 4), (5, 32), (8, 256), (9, 300), (30, 300), (1000, 300)])
    func ceilingDoublesUpToTheCap(attempt: Int, seconds: Int64) {
        #expect(policy.ceiling(attempt: attempt) == .seconds(seconds))
    }

    @Test func fullJitterSpansZeroToTheCeiling() {
        var low = FixedFraction(fraction: 0)
        var high = FixedFraction(fraction: 0.999_999)
        var half = FixedFraction(fraction: 0.5)
        #expect(policy.delay(attempt: 3, using: &low) == .zero)
        #expect(policy.delay(attempt: 3, using: &high) == .seconds(8))
        #expect(policy.delay(attempt: 3, using: &half) == .seconds(4))
        for attempt in 0..<20 {
            let delay = policy.delay(attempt: attempt)
            #expect(delay >= .zero && delay <= .seconds(300))
        }
    }

    @Test func retryAfterWinsWhenLonger() {
        var half = FixedFraction(fraction: 0.5)
        #expect(policy.delay(attempt: 0, retryAfter: .seconds(30), using: &half) == .seconds(30))
        #expect(policy.delay(attempt: 6, retryAfter: .seconds(1), using: &half) == .seconds(32))
        #expect(policy.delay(attempt: 20, retryAfter: .seconds(900), using: &half) == .seconds(900))
    }

    @Test func givesUpAfterMaxRetryHours() {
        let first = Date(timeIntervalSince1970: 1_000_000)
        #expect(!policy.shouldGiveUp(firstAttempt: first, now: first, maxRetryHours: 24))
        #expect(!policy.shouldGiveUp(firstAttempt: first, now: first + 24 * 3600 - 1, maxRetryHours: 24))
        #expect(policy.shouldGiveUp(firstAttempt: first, now: first + 24 * 3600, maxRetryHours: 24))
        #expect(policy.shouldGiveUp(firstAttempt: first, now: first + 1800, maxRetryHours: 0.5))
    }
}
