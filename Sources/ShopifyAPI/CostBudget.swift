/// A model of one store's query-cost bucket, so that no call is sent that the bucket cannot pay for.
///
/// The bucket is taken from the last `throttleStatus` seen and refills at `restoreRate` points a second
/// up to `maximumAvailable` from then on; calls sent since are subtracted with ``spend(_:at:)``. Before any
/// response is seen it assumes a standard store (2000 points, restoring 100 a second), full.
/// A pure value: the caller passes the time in.
public struct CostBudget: Sendable, Hashable {
    public private(set) var maximumAvailable: Double
    public private(set) var restoreRate: Double
    /// The level at `levelTime`; nil time means "full" (nothing observed or spent yet).
    private var level: Double
    private var levelTime: ContinuousClock.Instant?

    public init(maximumAvailable: Double = 2000, restoreRate: Double = 100) {
        self.maximumAvailable = maximumAvailable
        self.restoreRate = restoreRate
        self.level = maximumAvailable
        self.levelTime = nil
    }

    /// The points the bucket holds at `now`.
    public func available(at now: ContinuousClock.Instant) -> Double {
        guard let levelTime else { return maximumAvailable }
        let elapsed = max(0, (now - levelTime).secondsDouble)
        return min(maximumAvailable, level + elapsed * restoreRate)
    }

    /// How long until the bucket can pay `cost`; zero when it can now.
    ///
    /// A cost above `maximumAvailable` waits for a full bucket (Shopify then decides).
    public func delay(forCost cost: Double, now: ContinuousClock.Instant) -> Duration {
        let needed = min(cost, maximumAvailable)
        let missing = needed - available(at: now)
        guard missing > 0 else { return .zero }
        guard restoreRate > 0 else { return .seconds(1) }
        return .milliseconds(Int64((missing / restoreRate * 1000).rounded(.up)))
    }

    /// Takes `cost` points out at `now` (the call is about to be sent).
    public mutating func spend(_ cost: Double, at now: ContinuousClock.Instant) {
        level = available(at: now) - cost
        levelTime = now
    }

    /// Adopts the bucket Shopify reported in a response received at `now`.
    public mutating func observe(_ cost: QueryCost, at now: ContinuousClock.Instant) {
        let status = cost.throttleStatus
        if status.maximumAvailable > 0 { maximumAvailable = status.maximumAvailable }
        if status.restoreRate > 0 { restoreRate = status.restoreRate }
        level = min(maximumAvailable, status.currentlyAvailable)
        levelTime = now
    }
}
