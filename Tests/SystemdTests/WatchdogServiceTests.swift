import Logging
import Systemd
import TestSupport
import Testing

@Suite("WatchdogService")
struct WatchdogServiceTests {
    @Test("pings only while the work loop beat within half the interval", .timeLimit(.minutes(1)))
    func pingsOnlyWhileHealthy() async throws {
        try await NotifyListener.withListener { listener in
            let time = ManualTime()
            let health = WorkLoopHealth(now: { time.now })
            let notifier = SystemdNotifier(socketPath: listener.path)
            let service = WatchdogService(
                notifier: notifier,
                health: health,
                interval: .seconds(10),
                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            )

            #expect(service.pingIfHealthy())  // a new heartbeat counts as fresh
            time.advance(by: .seconds(5))
            #expect(service.pingIfHealthy())  // exactly half an interval old: still healthy
            time.advance(by: .milliseconds(1))
            #expect(!service.pingIfHealthy())  // stuck: pings stop half an interval after the last beat
            time.advance(by: .seconds(60))
            #expect(!service.pingIfHealthy())
            health.beat()
            #expect(service.pingIfHealthy())  // making progress again

            notifier.status("end of test")  // datagrams arrive in order: everything sent before is in
            try await listener.waitFor("STATUS=end of test")
            #expect(listener.messages == ["WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1", "STATUS=end of test"])
        }
    }

    @Test("a stuck loop stops the pings, logged once when it stalls and once when it recovers", .timeLimit(.minutes(1)))
    func stallAndRecoveryAreLoggedOnce() async throws {
        try await NotifyListener.withListener { listener in
            let time = ManualTime()
            let health = WorkLoopHealth(now: { time.now })
            let notifier = SystemdNotifier(socketPath: listener.path)
            let (logger, logs) = CapturingLogHandler.logger()
            let service = WatchdogService(notifier: notifier, health: health, interval: .seconds(30), logger: logger)

            await service.run(
                ticks: ScriptedTicks(steps: [
                    {},  // healthy: ping
                    { time.advance(by: .seconds(16)) },  // stuck (over half the interval): no ping, logged
                    { time.advance(by: .seconds(15)) },  // still stuck: no ping, not logged again
                    { health.beat() },  // recovered: ping, logged
                    { time.advance(by: .seconds(15)) },  // healthy: ping
                ])
            )

            notifier.status("end of test")
            try await listener.waitFor("STATUS=end of test")
            #expect(listener.messages == ["WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1", "STATUS=end of test"])
            let entries = logs.all
            #expect(entries.map(\.level) == [.critical, .notice])
            #expect(
                entries.map { $0.metadata["message_id"]?.description }
                    == [MessageID.workLoopStalled.rawValue, MessageID.workLoopRecovered.rawValue]
            )
        }
    }

    /// The daemon's stuck-loop rule, through the seam: ticks as ``WatchdogService/run()`` makes them, every half
    /// interval, while the loop beats once and then never again.
    @Test(
        "a work loop that stops beating gets no ping past half an interval, however long it stays stuck",
        .timeLimit(.minutes(1)),
        arguments: [Duration.seconds(1), .seconds(30), .seconds(600)]
    )
    func stuckLoopGetsNoPings(interval: Duration) async throws {
        try await NotifyListener.withListener { listener in
            let time = ManualTime()
            let health = WorkLoopHealth(now: { time.now })
            let notifier = SystemdNotifier(socketPath: listener.path)
            let service = WatchdogService(
                notifier: notifier,
                health: health,
                interval: interval,
                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            )
            let stuck: [@Sendable () -> Void] = Array(repeating: { time.advance(by: interval / 2) }, count: 10)
            await service.run(
                ticks: ScriptedTicks(
                    steps: [
                        { health.beat() },  // the loop beats: ping
                        { time.advance(by: interval / 2) },  // half an interval since: still a ping
                        { time.advance(by: .milliseconds(1)) },  // past it: none
                    ] + stuck  // five more intervals without a beat: none
                )
            )

            notifier.status("end of test")
            try await listener.waitFor("STATUS=end of test")
            #expect(listener.messages == ["WATCHDOG=1", "WATCHDOG=1", "STATUS=end of test"])
            #expect(!health.isHealthy(within: interval / 2))
        }
    }

    @Test(
        "run() pings every half interval while the loop beats, and withholds pings once it stops",
        .timeLimit(.minutes(1))
    )
    func runPingsOnItsTimer() async throws {
        try await NotifyListener.withListener { listener in
            let health = WorkLoopHealth()
            let (logger, logs) = CapturingLogHandler.logger()
            let service = WatchdogService(
                notifier: SystemdNotifier(socketPath: listener.path),
                health: health,
                interval: .milliseconds(200),
                logger: logger
            )
            #expect(service.interval == .milliseconds(200))
            let running = Task { try await service.run() }
            defer { running.cancel() }
            let beating = Task {
                while !Task.isCancelled {
                    health.beat()
                    try? await Task.sleep(for: .milliseconds(10))
                }
            }
            try await listener.waitFor("WATCHDOG=1", count: 3)
            beating.cancel()
            await beating.value

            // The loop stopped beating: the service notices within an interval and a half, and says so. (Under
            // load the beating task itself may have been starved earlier, so look at the last transition logged.)
            func lastTransition() -> Logger.MetadataValue? {
                logs.all.last {
                    $0.metadata["message_id"] == MessageID.workLoopStalled.metadataValue
                        || $0.metadata["message_id"] == MessageID.workLoopRecovered.metadataValue
                }?.metadata["message_id"]
            }
            // No beat for longer than the interval: the loop is unhealthy from here on, whatever the load.
            try await Task.sleep(for: .milliseconds(300))
            let deadline = ContinuousClock.now + .seconds(10)
            while lastTransition() != MessageID.workLoopStalled.metadataValue && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(lastTransition() == MessageID.workLoopStalled.metadataValue)
            #expect(!health.isHealthy(within: .milliseconds(200)))
            running.cancel()
            _ = await running.result
        }
    }

    @Test("the interval defaults to the notifier's watchdog interval")
    func intervalFromNotifier() {
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let health = WorkLoopHealth()
        let on = WatchdogService(
            notifier: SystemdNotifier(socketPath: nil, watchdogInterval: .seconds(30)),
            health: health,
            logger: logger
        )
        #expect(on.interval == .seconds(30))
        let off = WatchdogService(notifier: SystemdNotifier(socketPath: nil), health: health, logger: logger)
        #expect(off.interval == nil)
        #expect(!off.pingIfHealthy())
    }

    @Test("without a watchdog, run() just waits and ends on cancellation", .timeLimit(.minutes(1)))
    func offWaitsForCancellation() async throws {
        let service = WatchdogService(
            notifier: SystemdNotifier(socketPath: nil),
            health: WorkLoopHealth(),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
        let running = Task { try await service.run() }
        running.cancel()
        _ = await running.result
    }
}
