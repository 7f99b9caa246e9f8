import Foundation
import Logging
import ServiceLifecycle
import Spool
import Synchronization
import Systemd

/// The spool side of the running daemon: inotify wakes it (a full rescan as a backstop, and when the kernel's
/// queue overflows), it claims and records pending files, finishes requests whose lines are settled, retries
/// local faults, beats the work loop's heart and publishes the STATUS= line.
///
/// On graceful shutdown it stops taking new files first; the store workers stop after it.
final class IntakeService: Service, Sendable {
    private let runtime: SyncRuntime
    private let processor: SpoolProcessor
    private let pendingEvents: PendingEvents
    private let status: StatusReporter
    /// Names inotify reported, and whether it overflowed, since the loop last looked.
    private let events = Mutex<(names: [String], overflow: Bool)>(([], false))

    init(runtime: SyncRuntime, processor: SpoolProcessor, pendingEvents: PendingEvents, status: StatusReporter) {
        self.runtime = runtime
        self.processor = processor
        self.pendingEvents = pendingEvents
        self.status = status
    }

    private var logger: Logger { runtime.logger }

    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.watch() }
            // The first turn at once, then one per ring (inotify, settled lines), at most a second apart.
            runtime.spoolBell.ring()
            await run(wakes: DoorbellWakes(bell: runtime.spoolBell, due: { .now + .seconds(1) }))
            group.cancelAll()
        }
    }

    /// Takes one turn of the spool loop per wake until the wakes end or the daemon shuts down. Tests drive it
    /// with a scripted sequence.
    func run<Wakes: AsyncSequence & Sendable>(wakes: Wakes) async where Wakes.Element == Void {
        let rescanEvery = Duration.milliseconds(Int64(runtime.current.config.rescanIntervalSeconds * 1000))
        var lastRescan = ContinuousClock.now
        var lastStatus = ContinuousClock.now
        do {
            for try await _ in wakes.cancelOnGracefulShutdown() {
                if turn(rescanDue: ContinuousClock.now - lastRescan >= rescanEvery) { lastRescan = .now }
                // Once a second, however often the loop wakes: counting the spool lists every folder.
                if ContinuousClock.now - lastStatus >= .seconds(1) {
                    publishStatus()
                    lastStatus = .now
                }
            }
        } catch {
            logger.error("spool loop wakes ended: \(error)", metadata: ["error": "\(error)"])
        }
    }

    /// One turn: retries local faults, claims what inotify named and the next chunk of the backlog (or lists
    /// pending/ again), finishes settled requests and, once a second, syncs their reports. Returns whether it
    /// listed pending/; a listing that failed is tried again next turn.
    private func turn(rescanDue: Bool) -> Bool {
        runtime.health.beat()
        let (names, overflow) = events.withLock { events in
            defer { events = ([], false) }
            return events
        }
        var rescanned = false
        var more = false
        do {
            try processor.retryLocalFailures()
            // A backlog is worked off a chunk per turn before pending/ is listed again (an overflow relists).
            if overflow || (rescanDue && !processor.hasBacklog) {
                if overflow { logger.warning("inotify queue overflowed; rescanning pending/") }
                more = try processor.scan()
                rescanned = true
            } else {
                if processor.hasBacklog { more = try processor.claimBacklog() }
                if !names.isEmpty { try processor.scan(names: names) }
            }
            try processor.finishCompleted()
            try processor.syncReportsIfDue()
        } catch {
            logger.error("spool loop: \(error)", metadata: ["error": "\(error)"])
        }
        // More of the backlog: the next turn comes at once, after what the workers settled meanwhile.
        if more { runtime.spoolBell.ring() }
        return rescanned
    }

    private func watch() async {
        for await event in pendingEvents {
            events.withLock { events in
                switch event {
                case .file(let name):
                    if events.names.count < 100_000 { events.names.append(name) } else { events.overflow = true }
                case .overflow: events.overflow = true
                }
            }
            runtime.spoolBell.ring()
        }
    }

    func publishStatus() {
        guard let counts = try? runtime.spool.counts(now: Date()) else { return }
        let stores = runtime.current.config.storeNames.map { ($0, runtime.storeStatusLine($0)) }
        status.update(StatusSnapshot.line(counts: counts, stores: stores))
    }
}
