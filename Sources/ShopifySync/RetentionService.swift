import Foundation
import Logging
import ServiceLifecycle
import Systemd

/// Applies retention on every tick: done/ files older than `done_retention_days`, and requests finished as done
/// more than `ledger_retention_days` ago, leave. The only deletions the daemon makes.
///
/// The daemon ticks it at start and then hourly; tests drive ``run(ticks:)`` with a scripted sequence.
struct RetentionService: Service, Sendable {
    let runtime: SyncRuntime
    /// How often retention runs after the first time.
    var interval: Duration = .seconds(3_600)

    private var logger: Logger { runtime.logger }

    /// Runs retention every `interval` until cancelled or the daemon shuts down.
    func run() async {
        let interval = self.interval
        let (ticks, continuation) = AsyncStream<Void>.makeStream()
        let timer = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                continuation.yield()
            }
            continuation.finish()
        }
        await run(ticks: ticks)
        timer.cancel()
    }

    /// Applies retention once per tick.
    func run<Ticks: AsyncSequence & Sendable>(ticks: Ticks) async where Ticks.Element == Void {
        do {
            for try await _ in ticks.cancelOnGracefulShutdown() { apply() }
        } catch {
            logger.error("retention ticks ended: \(error)")
        }
    }

    /// Removes done/ files and ledger records past their retention.
    func apply() {
        let days = runtime.current.config.doneRetentionDays
        let cutoff = runtime.now().addingTimeInterval(-days * 86_400)
        do {
            let removed = try runtime.spool.removeDone(olderThan: cutoff)
            if removed > 0 {
                logger.info(
                    "retention removed \(removed) request(s) from done/ older than \(days) days",
                    metadata: ["message_id": MessageID.retentionRemoved.metadataValue]
                )
            }
        } catch {
            logger.error("retention failed: \(error)")
        }
        let ledgerDays = runtime.current.config.ledgerRetentionDays
        do {
            let removed = try runtime.state.removeFinished(
                before: runtime.now().addingTimeInterval(-ledgerDays * 86_400).timeIntervalSince1970
            )
            if removed > 0 {
                logger.info(
                    "ledger retention removed \(removed) request(s) finished more than \(ledgerDays) days ago",
                    metadata: ["message_id": MessageID.retentionRemoved.metadataValue]
                )
            }
        } catch {
            logger.error("ledger retention failed: \(error)", metadata: ["error": "\(error)"])
        }
    }
}
