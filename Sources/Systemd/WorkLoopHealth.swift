import Synchronization

/// The work loop's heartbeat, which ``WatchdogService`` reads to decide whether to feed systemd's watchdog.
///
/// The work loop calls ``beat()`` each time it makes progress (each pass, each finished call, and while it
/// waits for in-flight calls during shutdown). A loop that stops beating is considered stuck. A new instance
/// counts as freshly beaten, so the loop has one interval to start.
public final class WorkLoopHealth: Sendable {
    private let now: @Sendable () -> ContinuousClock.Instant
    private let lastBeatInstant: Mutex<ContinuousClock.Instant>

    /// Creates a heartbeat.
    ///
    /// - Parameter now: the current time; injectable so tests control time.
    public init(now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.now = now
        self.lastBeatInstant = Mutex(now())
    }

    /// Records that the work loop made progress now.
    public func beat() {
        let instant = self.now()
        self.lastBeatInstant.withLock { $0 = instant }
    }

    /// When the work loop last beat.
    public var lastBeat: ContinuousClock.Instant {
        self.lastBeatInstant.withLock { $0 }
    }

    /// How long ago the work loop last beat.
    public var sinceLastBeat: Duration {
        self.lastBeat.duration(to: self.now())
    }

    /// Whether the work loop beat within the last `interval`.
    public func isHealthy(within interval: Duration) -> Bool {
        self.sinceLastBeat <= interval
    }
}
