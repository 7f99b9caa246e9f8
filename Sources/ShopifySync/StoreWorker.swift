import Foundation
import Logging
import ServiceLifecycle
import ShopifyAPI
import ShopifySyncCore
import SyncState
import Synchronization
import Systemd

/// Pushes one store's open lines to Shopify, one call at a time, exactly once.
///
/// Each call is written to the intent log (rows, key, member lines) before it is sent; after a crash the same
/// call is resent with the same key, so Shopify applies it once. A call settles in one transaction that marks
/// its lines applied (or failed) and deletes the intent. Movement deltas go before bulk-sync sets, so live work
/// is never stuck behind a hard sync. One store's trouble never touches another store's worker.
struct StoreWorker: Service, Sendable {
    let store: String
    let runtime: SyncRuntime
    /// How long an idle worker sleeps before it looks again without being rung.
    var idleTimeout: Duration = .seconds(5)
    /// How many open set lines make the worker read on_hand through a bulk operation.
    var bulkReadThreshold = StoreWorker.defaultBulkReadThreshold
    /// How long a SKU lookup miss is trusted before it is asked again.
    static let lookupMissTTL: Double = 3600

    var logger: Logger {
        var logger = runtime.logger
        logger[metadataKey: "shopify.store"] = "\(store)"
        return logger
    }

    /// The worker's mutable state between calls.
    struct Progress {
        var budget = CostBudget()
        var retry = RetryPolicy()
        /// The store's health: ok, backing off, throttled, paused (probed), or disabled.
        var health = StoreHealth.ok
        /// Until when a local fault (not Shopify's) holds the worker back.
        var localNotBefore: ContinuousClock.Instant?
        /// Until when bulk work (reads, lookups, sets) waits for the bucket; movement deltas do not wait for it.
        var backgroundNotBefore: ContinuousClock.Instant?
        /// Active time of the current outage, for `max_retry_hours`.
        var outage = OutageClock()
        /// The local error last logged (a ledger write that failed), until a step succeeds again.
        var localError: String?
        var localFailures = 0
        /// A large bulk or hard sync's on_hand read through a Shopify bulk operation.
        var bulkRead = BulkRead.idle

        mutating func observe(_ cost: QueryCost?, at instant: ContinuousClock.Instant) {
            if let cost { budget.observe(cost, at: instant) }
        }
    }

    /// Why a call did not settle.
    enum Hold: Error {
        case wait
    }

    /// The worker's monotonic clock, in seconds, for ``StoreHealth``.
    static let epoch = ContinuousClock.now
    static func seconds(_ instant: ContinuousClock.Instant) -> Double {
        let (whole, fraction) = (instant - epoch).components
        return Double(whole) + Double(fraction) / 1e18
    }
    static func instant(_ seconds: Double) -> ContinuousClock.Instant {
        epoch + .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }

    /// When the worker next looks for work unless it is rung: each turn sets it, the live wakes read it.
    let nextLook = NextLook()

    /// Runs until graceful shutdown, woken by the store's doorbell (new open lines, a reload) or by the moment
    /// its last turn named (a backoff's end, a pause's probe, the idle timeout).
    func run() async {
        await run(wakes: DoorbellWakes(bell: runtime.bell(store), due: { [nextLook] in nextLook.instant }))
    }

    /// Takes one turn per wake until the wakes end or the daemon shuts down; a turn in progress (a call in
    /// flight) is finished first. Tests drive it with a scripted sequence.
    func run<Wakes: AsyncSequence & Sendable>(wakes: Wakes) async where Wakes.Element == Void {
        var progress = Progress()
        progress.health.configure(enabled: runtime.current.config.stores[store]?.enabled ?? true)
        runtime.setStoreHealth(store, progress.health)
        do {
            for try await _ in wakes.cancelOnGracefulShutdown() {
                await turn(&progress)
                nextLook.instant = nextLook(after: progress)
            }
        } catch {
            logger.error("store worker wakes ended: \(error)", metadata: ["error": "\(error)"])
        }
    }

    /// Works until there is nothing to do now: idle, held back (backoff, throttle, pause, a local fault) or
    /// shutting down.
    func turn(_ progress: inout Progress) async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if let held = heldUntil(progress), held > runtime.monotonicNow() { return }
            progress.localNotBefore = nil
            do {
                let didWork = try await step(&progress)
                if progress.localError != nil { recoveredLocally(&progress) }
                guard didWork else { return }
            } catch is Hold {
                return
            } catch is CallFailure {
                // Already logged and turned into backoff or a pause by `handle`.
                return
            } catch {
                // A fault of this machine (the ledger cannot be written, a full disk): logged once, retried with
                // backoff; the intent, if any, is resent with its key once it passes.
                failedLocally(error, &progress)
                return
            }
        }
    }

    /// Until when the store's health or a local fault holds the worker back.
    func heldUntil(_ progress: Progress) -> ContinuousClock.Instant? {
        [progress.health.waitsUntil.map(Self.instant), progress.localNotBefore].compactMap { $0 }.max()
    }

    /// When to look again unless rung: when the hold ends, when bulk work may go on or a bulk read is to be
    /// polled (10 ms at the soonest), or after the idle timeout, whichever is first.
    func nextLook(after progress: Progress) -> ContinuousClock.Instant {
        let now = runtime.monotonicNow()
        let idle = now + idleTimeout
        if let held = heldUntil(progress), held > now { return min(held, idle) }
        let due = [progress.backgroundNotBefore, progress.bulkRead.nextPoll].compactMap { $0 }.min()
        guard let due else { return idle }
        return min(idle, max(due, now + .milliseconds(10)))
    }

    func failedLocally(_ error: any Error, _ progress: inout Progress) {
        progress.localFailures += 1
        let wait = progress.retry.delay(attempt: progress.localFailures)
        progress.localNotBefore = runtime.monotonicNow() + wait
        let text = "\(error)"
        guard progress.localError != text else { return }
        progress.localError = text
        logger.error(
            "store worker cannot go on: \(error); retrying with backoff",
            metadata: ["message_id": MessageID.localFault.metadataValue, "error": "\(error)"]
        )
    }

    func recoveredLocally(_ progress: inout Progress) {
        progress.localError = nil
        progress.localFailures = 0
        logger.notice(
            "store worker goes on after a local fault",
            metadata: ["message_id": MessageID.localFault.metadataValue]
        )
    }

    /// Does one unit of work; returns whether there was any.
    func step(_ progress: inout Progress) async throws -> Bool {
        guard let storeConfig = runtime.current.config.stores[store], let api = runtime.client(store) else {
            return false
        }
        let before = progress.health
        progress.health.configure(enabled: storeConfig.enabled)
        if progress.health != before { runtime.setStoreHealth(store, progress.health) }
        guard storeConfig.enabled else {
            progress.outage.suspended()
            return false
        }
        if progress.health.isPaused {
            try await probe(api, &progress)
        }
        if let intent = try runtime.state.intents(store: store).first {
            try await send(intent, api: api, &progress)
            return true
        }
        if try await sendDeltas(api, &progress) { return true }
        // Bulk work yields to movements: it never sleeps for the bucket while a movement could be sent.
        if let notBefore = progress.backgroundNotBefore, notBefore > runtime.monotonicNow() { return false }
        progress.backgroundNotBefore = nil
        if try await resolveLookups(api, &progress) { return true }
        if try await sendSets(api, &progress) { return true }
        return false
    }

    // MARK: - Payloads

    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return [UInt8](try encoder.encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}

/// When a store worker next looks for work unless rung.
final class NextLook: Sendable {
    private let value = Mutex(ContinuousClock.now)

    var instant: ContinuousClock.Instant {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
