import Logging
import ServiceLifecycle

/// Feeds systemd's service watchdog (`WatchdogSec=`) only while the work loop is healthy.
///
/// Every half interval it sends `WATCHDOG=1` if the work loop beat (``WorkLoopHealth/beat()``) within the
/// last half interval, and withholds it otherwise, so a stuck loop lets the watchdog fire and systemd
/// restarts the service. Pings stop at most half an interval after the loop's last beat, so systemd notices a
/// stuck loop within one and a half intervals (with a whole interval of grace, it was up to two). The work
/// loop beats at least once a second, far inside half any sensible `WatchdogSec=`. Stalls and recoveries are logged once each (``MessageID/workLoopStalled``,
/// ``MessageID/workLoopRecovered``).
///
/// Without a watchdog interval (no `WatchdogSec=`), ``run()`` only waits for graceful shutdown. It stops on
/// graceful shutdown, which is safe: systemd disarms the watchdog once the unit leaves the running state
/// (on `STOPPING=1` or its own SIGTERM), so a draining daemon is not killed for missing pings.
public struct WatchdogService: Service {
    /// The watchdog interval in use, or `nil` when the watchdog is off.
    public let interval: Duration?
    private let notifier: SystemdNotifier
    private let health: WorkLoopHealth
    private let logger: Logger

    /// Creates the service.
    ///
    /// - Parameters:
    ///   - notifier: where `WATCHDOG=1` goes.
    ///   - health: the work loop's heartbeat.
    ///   - interval: the watchdog interval; `nil` takes ``SystemdNotifier/watchdogInterval`` (from
    ///     `$WATCHDOG_USEC`).
    ///   - logger: for stall and recovery entries.
    public init(notifier: SystemdNotifier, health: WorkLoopHealth, interval: Duration? = nil, logger: Logger) {
        self.notifier = notifier
        self.health = health
        self.interval = interval ?? notifier.watchdogInterval
        self.logger = logger
    }

    /// Pings every half interval while healthy, until graceful shutdown or cancellation.
    public func run() async throws {
        guard let interval = self.interval else {
            self.logger.debug("systemd watchdog is off")
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            await self.run(ticks: Ticks(period: interval / 2))
        }
    }

    /// Checks the work loop's health once per element of `ticks`, pinging while it is healthy.
    ///
    /// Returns when `ticks` ends. This is ``run()``'s loop with the timer made injectable, for tests.
    public func run(ticks: some AsyncSequence<Void, Never>) async {
        var stalled = false
        for await _ in ticks {
            let healthy = self.pingIfHealthy()
            if healthy == stalled {
                stalled = !healthy
                self.logTransition(stalled: stalled)
            }
        }
    }

    /// How recently the work loop must have beaten for a ping: half the interval, or `nil` when the watchdog
    /// is off.
    public var healthWindow: Duration? {
        self.interval.map { $0 / 2 }
    }

    /// Sends `WATCHDOG=1` if the work loop beat within ``healthWindow`` (half the interval).
    ///
    /// - Returns: whether the loop was healthy (and a ping was sent, if notifications are on).
    @discardableResult
    public func pingIfHealthy() -> Bool {
        guard let window = self.healthWindow, self.health.isHealthy(within: window) else {
            return false
        }
        self.notifier.watchdogPing()
        return true
    }

    private func logTransition(stalled: Bool) {
        let since = self.health.sinceLastBeat
        if stalled {
            self.logger.critical(
                "work loop made no progress for \(since); withholding watchdog pings, systemd will restart the service",
                metadata: ["message_id": MessageID.workLoopStalled.metadataValue]
            )
        } else {
            self.logger.notice(
                "work loop makes progress again; watchdog pings resume",
                metadata: ["message_id": MessageID.workLoopRecovered.metadataValue]
            )
        }
    }
}

extension WatchdogService {
    /// An endless timer: one element per period, ending on cancellation.
    struct Ticks: AsyncSequence, Sendable {
        typealias Element = Void
        typealias Failure = Never

        let period: Duration

        struct AsyncIterator: AsyncIteratorProtocol {
            let period: Duration
            var first = true

            mutating func next() async -> Void? {
                if self.first {
                    self.first = false
                    return Task.isCancelled ? nil : ()
                }
                do {
                    try await Task.sleep(for: self.period)
                    return ()
                } catch {
                    return nil
                }
            }
        }

        func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(period: self.period)
        }
    }
}
