import Foundation
import Logging
import ServiceLifecycle
import ShopifyAPI
import ShopifySyncCore
import SyncState
import Systemd

/// Movement deltas: netted into calls of at most 250 rows, each written down before it is sent.
extension StoreWorker {
    func sendDeltas(_ api: any InventoryAPI, _ progress: inout Progress) async throws -> Bool {
        var lines = try runtime.state.openLines(store: store, kind: .adjust, state: .pending, limit: 5_000)
        guard !lines.isEmpty else { return false }
        // When the bucket cannot pay for the call yet, the wait comes before the call is planned, so that the
        // movements arriving meanwhile go in it instead of waiting for the next one.
        let delay = progress.budget.delay(
            forCost: ShopifyDocuments.estimatedCost(.adjust),
            now: runtime.monotonicNow()
        )
        if delay > .zero {
            DaemonMetrics.recordBudgetWait(store: store)
            try await Task.sleep(for: delay)
            lines = try runtime.state.openLines(store: store, kind: .adjust, state: .pending, limit: 5_000)
            guard !lines.isEmpty else { return false }
        }
        // The snapshot rule: a delta that a written snapshot already counts is not sent.
        let inSnapshot = try runtime.state.skipDeltasInSnapshot(store: store)
        if !inSnapshot.isEmpty {
            logInSnapshot(inSnapshot)
            runtime.spoolBell.ring()
            return true
        }
        let deltas = lines.compactMap { line -> PendingDelta? in
            guard let item = line.inventoryItem, let location = line.location, let delta = line.delta else {
                return nil
            }
            return PendingDelta(
                ref: line.ref,
                inventoryItemID: item,
                locationID: location,
                delta: delta,
                reason: line.shopifyReason ?? "correction",
                generation: line.generation
            )
        }
        guard let batch = Netting.batches(deltas).first else { return false }
        guard !batch.rows.isEmpty else {
            try runtime.state.update(
                batch.nettedToZero.map { LineUpdate(ref: $0, state: .applied, reason: .nettedToZero) }
            )
            runtime.spoolBell.ring()
            return true
        }
        let key = batch.idempotencyKey
        let request = AdjustRequest(
            reason: batch.reason,
            referenceDocumentURI: "gid://shopify-sync/SyncCall/\(key)",
            idempotencyKey: key,
            changes: batch.rows.map {
                InventoryChange(inventoryItemID: $0.inventoryItemID, locationID: $0.locationID, delta: $0.delta)
            }
        )
        let intent = try runtime.state.createIntent(
            store: store,
            kind: .adjust,
            idempotencyKey: key,
            payload: try Self.encode(request),
            body: try ShopifyClient.body(of: request),
            members: batch.members,
            now: runtime.now().timeIntervalSince1970
        )
        try await send(intent, api: api, &progress)
        return true
    }
}
