import Foundation
import Logging
import ServiceLifecycle
import ShopifyAPI
import ShopifySyncCore
import SyncState
import Systemd

/// Calls through the cost budget, and the store health they drive.
extension StoreWorker {
    /// A call that did not reach a verdict, after the store's state has been updated for it.
    struct CallFailure: Error {
        var error: ShopifyError
    }

    /// Waits until the bucket can pay, makes the call, and turns failures into backoff or a pause.
    func call<T: Sendable>(
        _ api: any InventoryAPI,
        cost: Double,
        background: Bool = false,
        _ progress: inout Progress,
        _ body: @Sendable (any InventoryAPI) async throws -> T
    ) async throws -> T {
        let delay = progress.budget.delay(forCost: cost, now: runtime.monotonicNow())
        if delay > .zero && background {
            progress.backgroundNotBefore = runtime.monotonicNow() + delay
            throw Hold.wait
        }
        if delay > .zero {
            DaemonMetrics.recordBudgetWait(store: store)
            try await Task.sleep(for: delay)
        }
        progress.budget.spend(cost, at: runtime.monotonicNow())
        do {
            let value = try await body(api)
            if progress.health != .ok { resume(&progress) }
            progress.outage.succeeded()
            return value
        } catch {
            let failure = error as? ShopifyError ?? ShopifyError(code: .badResponse, message: "\(error)")
            handle(failure, &progress)
            throw CallFailure(error: failure)
        }
    }

    /// Turns a call that reached no verdict into the store's next health: backoff, a wait for the bucket, or a
    /// pause; logs it, and counts it toward `max_retry_hours` only while the store is active.
    func handle(_ error: ShopifyError, _ progress: inout Progress) {
        if let cost = error.cost { progress.budget.observe(cost, at: runtime.monotonicNow()) }
        let metadata: Logger.Metadata = [
            "shopify.error_code": "\(error.shopifyCode ?? error.httpStatus.map { "HTTP \($0)" } ?? "\(error.code)")",
            "shopify.error": "\(error.message)",
        ]
        let retryAfter = error.retryAfter.map {
            Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18
        }
        let trouble: StoreHealth.Trouble
        switch error.code {
        case .accessDenied: trouble = .accessDenied(reason: error.httpStatus.map { "\($0)" } ?? "access denied")
        case .throttled: trouble = .throttled(retryAfter: retryAfter)
        default: trouble = .unavailable(reason: "\(error.code)", retryAfter: retryAfter)
        }
        let before = progress.health
        let policy = progress.retry
        progress.health.observe(trouble, now: Self.seconds(runtime.monotonicNow())) { attempt, retryAfter in
            let wait = policy.delay(attempt: attempt, retryAfter: retryAfter.map { .milliseconds(Int64($0 * 1000)) })
            return Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18
        }
        let wait = progress.health.waitsUntil.map { max(0, $0 - Self.seconds(runtime.monotonicNow())) } ?? 0
        switch progress.health {
        case .paused:
            progress.outage.suspended()
            if !before.isPaused {
                logger.critical(
                    "store paused: Shopify refused the token (\(error)); its work waits and is probed with backoff",
                    metadata: metadata.merging(["message_id": MessageID.storePaused.metadataValue]) { $1 }
                )
            }
        case .throttled:
            logger.notice(
                "throttled by Shopify; waiting \(String(format: "%.1f", wait)) s",
                metadata: metadata.merging([
                    "message_id": MessageID.callRetrying.metadataValue, "sync.outcome": "retrying",
                ]) { $1 }
            )
        case .backoff:
            progress.outage.failed(now: runtime.now().timeIntervalSince1970)
            logger.warning(
                "call failed (\(error)); retrying in \(String(format: "%.1f", wait)) s",
                metadata: metadata.merging([
                    "message_id": MessageID.callRetrying.metadataValue, "sync.outcome": "retrying",
                ]) { $1 }
            )
        case .ok, .disabled:
            break
        }
        if progress.health.name != before.name || progress.health.reason != before.reason {
            runtime.setStoreHealth(store, progress.health, error: error.description)
        }
    }

    func resume(_ progress: inout Progress) {
        if progress.health.isPaused {
            logger.notice(
                "store resumed: Shopify accepts the token again",
                metadata: ["message_id": MessageID.storeResumed.metadataValue]
            )
        }
        progress.health.succeeded()
        runtime.setStoreHealth(store, progress.health, success: true)
    }

    /// While paused, one cheap read decides whether the store works again.
    func probe(_ api: any InventoryAPI, _ progress: inout Progress) async throws {
        _ = try await call(api, cost: ShopifyDocuments.estimatedCost(.shopName), &progress) { try await $0.shopName() }
    }
}
