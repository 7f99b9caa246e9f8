import Foundation
import Logging
import ShopifyAPI
import ShopifySyncCore
import Systemd

/// Large bulk and hard syncs read `on_hand` through one Shopify bulk operation instead of paged reads.
///
/// A paged read costs about one point per item; a bulk operation is charged only for the calls that start
/// and poll it, so a hard sync of 100,000 items reads for a few dozen points. The worker starts one when
/// many set lines wait, polls it between calls (movements go on meanwhile), and plans the sets from its
/// JSONL result. Its levels are older than a paged read's, so every row compares against them
/// (`changeFromQuantity`), equal ones included: a level that moved since is refused as stale and read again
/// singly. A shop that denies bulk operations (`ACCESS_DENIED`), or a bulk read that fails, falls back to
/// paged reads with a warning.
extension StoreWorker {
    /// Where the store's bulk read is.
    enum BulkRead {
        /// None running and none ready.
        case idle
        /// Started; polled at `nextPoll`, then `interval` later (doubling up to ``bulkPollInterval``).
        case running(
            id: String,
            started: ContinuousClock.Instant,
            nextPoll: ContinuousClock.Instant,
            interval: Duration
        )
        /// Location id -> item id -> `on_hand`, read at `readAt`.
        case ready(levels: [String: [String: Int]], readAt: ContinuousClock.Instant)
        /// Bulk reads are not tried again before `until`: paged reads meanwhile.
        case unavailable(until: ContinuousClock.Instant)

        var nextPoll: ContinuousClock.Instant? {
            if case .running(_, _, let nextPoll, _) = self { return nextPoll }
            return nil
        }
    }

    /// What the sets read their levels from now.
    enum SetLevels {
        /// A bulk read's result.
        case bulk([String: [String: Int]])
        /// A bulk read is running: the sets wait for it.
        case waiting
        /// Paged `nodes` reads.
        case paged
    }

    /// How many open set lines make a bulk read worth it (four paged reads' worth); see ``bulkReadThreshold``.
    static let defaultBulkReadThreshold = 1_000
    /// How often a running bulk read is polled at most (one point a poll): first after a quarter second, then
    /// twice as long each time up to a second, so that a short read is not waited for.
    static let bulkPollInterval = Duration.seconds(1)
    static let bulkFirstPoll = Duration.milliseconds(250)
    /// How long a bulk read's result plans sets; later ones read again.
    static let bulkResultLifetime = Duration.seconds(600)
    /// How long the worker reads with paged reads after the shop denied bulk operations, or one failed.
    static let bulkDeniedPause = Duration.seconds(3_600)
    static let bulkFailedPause = Duration.seconds(300)
    /// How long a bulk read may run before the sets stop waiting for it and read with paged reads.
    static let bulkReadPatience = Duration.seconds(1_800)

    /// Where the sets read their levels, starting, polling or fetching a bulk read as needed.
    func setLevels(_ api: any InventoryAPI, openSetLines: Int, _ progress: inout Progress) async throws -> SetLevels {
        let now = runtime.monotonicNow()
        switch progress.bulkRead {
        case .ready(let levels, let readAt) where now - readAt < Self.bulkResultLifetime:
            return .bulk(levels)
        case .unavailable(let until) where until > now:
            return .paged
        case .running(let id, let started, let nextPoll, let interval):
            guard nextPoll <= now else { return .waiting }
            return try await poll(api, id: id, started: started, interval: interval, &progress)
        case .idle, .ready, .unavailable:
            progress.bulkRead = .idle
            guard openSetLines >= bulkReadThreshold else { return .paged }
            return try await startBulkRead(api, openSetLines: openSetLines, &progress)
        }
    }

    /// Ends the bulk read's use once no set waits.
    func bulkReadDone(_ progress: inout Progress) {
        if case .ready = progress.bulkRead { progress.bulkRead = .idle }
    }

    private func startBulkRead(
        _ api: any InventoryAPI,
        openSetLines: Int,
        _ progress: inout Progress
    ) async throws -> SetLevels {
        let started = try await call(
            api,
            cost: ShopifyDocuments.estimatedCost(.bulkRunQuery),
            background: true,
            &progress
        ) { try await $0.startBulkQuery(ShopifyDocuments.bulkOnHandQuery) }
        progress.observe(started.cost, at: runtime.monotonicNow())
        guard let id = started.operationID, started.userErrors.isEmpty else {
            let codes = started.userErrors.map { $0.code ?? $0.message }.joined(separator: ", ")
            fallBack(
                "Shopify did not start a bulk read (\(codes))",
                code: codes,
                pause: Self.bulkFailedPause,
                &progress
            )
            return .paged
        }
        let now = runtime.monotonicNow()
        progress.bulkRead = .running(
            id: id,
            started: now,
            nextPoll: now + Self.bulkFirstPoll,
            interval: Self.bulkFirstPoll
        )
        logger.info(
            "reading on_hand with bulk operation \(id) for \(openSetLines)+ open set lines",
            metadata: ["message_id": MessageID.bulkRead.metadataValue, "shopify.bulk_operation": "\(id)"]
        )
        return .waiting
    }

    private func poll(
        _ api: any InventoryAPI,
        id: String,
        started: ContinuousClock.Instant,
        interval: Duration,
        _ progress: inout Progress
    ) async throws -> SetLevels {
        guard runtime.monotonicNow() - started < Self.bulkReadPatience else {
            fallBack(
                "bulk operation \(id) is still not done after \(Self.bulkReadPatience)",
                code: "TIMEOUT",
                pause: Self.bulkFailedPause,
                &progress
            )
            return .paged
        }
        let state: BulkOperationState
        do {
            state = try await call(
                api,
                cost: ShopifyDocuments.estimatedCost(.bulkOperation),
                background: true,
                &progress
            ) { try await $0.bulkOperation(id: id) }
        } catch let failure as CallFailure where !failure.error.isRetryable {
            // Shopify does not know the operation (or refuses the poll): asking again would not change that.
            fallBack(
                "bulk operation \(id) cannot be polled (\(failure.error))",
                code: failure.error.shopifyCode ?? "\(failure.error.code)",
                pause: Self.bulkFailedPause,
                &progress
            )
            return .paged
        }
        progress.observe(state.cost, at: runtime.monotonicNow())
        switch state.status {
        case .completed:
            var levels: [String: [String: Int]] = [:]
            if let url = state.url {
                let bytes = try await call(api, cost: 0, background: true, &progress) {
                    try await $0.download(url: url)
                }
                do {
                    levels = try BulkOnHand.parse(bytes)
                } catch {
                    fallBack(
                        "the result of bulk operation \(id) cannot be read: \(error)",
                        code: "\(error.code)",
                        pause: Self.bulkFailedPause,
                        &progress
                    )
                    return .paged
                }
            }
            let now = runtime.monotonicNow()
            progress.bulkRead = .ready(levels: levels, readAt: now)
            let count = levels.values.reduce(0) { $0 + $1.count }
            logger.info(
                "bulk operation \(id) read \(count) levels at \(levels.count) locations in \(now - started)",
                metadata: ["message_id": MessageID.bulkRead.metadataValue, "shopify.bulk_operation": "\(id)"]
            )
            return .bulk(levels)
        case .created, .running, .canceling:
            let next = min(interval * 2, Self.bulkPollInterval)
            progress.bulkRead = .running(
                id: id,
                started: started,
                nextPoll: runtime.monotonicNow() + next,
                interval: next
            )
            return .waiting
        default:
            let code = state.errorCode ?? state.status.rawValue
            if code == "ACCESS_DENIED" {
                fallBack(
                    "Shopify denies this app bulk operations (ACCESS_DENIED)",
                    code: code,
                    pause: Self.bulkDeniedPause,
                    &progress
                )
            } else {
                fallBack(
                    "bulk operation \(id) ended \(state.status) (\(code))",
                    code: code,
                    pause: Self.bulkFailedPause,
                    &progress
                )
            }
            return .paged
        }
    }

    /// Reads with paged reads for `pause`, and says so.
    private func fallBack(_ why: String, code: String, pause: Duration, _ progress: inout Progress) {
        progress.bulkRead = .unavailable(until: runtime.monotonicNow() + pause)
        logger.warning(
            "\(why); reading on_hand with paged reads (about one point per item) for \(pause)",
            metadata: ["message_id": MessageID.bulkRead.metadataValue, "shopify.error_code": "\(code)"]
        )
    }
}
