import Foundation
import Logging
import ServiceLifecycle
import ShopifyAPI
import ShopifySyncCore
import SyncState
import Systemd

/// SKU lookup for catalog entries without an inventory item id.
extension StoreWorker {
    func resolveLookups(_ api: any InventoryAPI, _ progress: inout Progress) async throws -> Bool {
        var lines: [LineRecord] = []
        for kind in [LineKind.adjust, .set] {
            lines += try runtime.state.openLines(store: store, kind: kind, state: .lookup, limit: 500)
        }
        guard let sku = lines.first?.sku else { return false }
        let now = runtime.now().timeIntervalSince1970
        var entry = try runtime.state.cachedSKU(store: store, sku: sku)
        if entry == nil || (entry?.status != .found && now - (entry?.checkedAt ?? 0) > Self.lookupMissTTL) {
            let result = try await call(
                api,
                cost: ShopifyDocuments.estimatedCost(.skuLookup),
                background: true,
                &progress
            ) {
                try await $0.lookupSKU(sku)
            }
            progress.observe(result.cost, at: runtime.monotonicNow())
            let ids = result.inventoryItemIDs
            let status: SKUCacheEntry.Status = ids.count == 1 ? .found : (ids.isEmpty ? .missing : .ambiguous)
            try runtime.state.cacheSKU(
                store: store,
                sku: sku,
                inventoryItem: ids.count == 1 ? ids[0] : nil,
                status: status,
                now: now
            )
            entry = try runtime.state.cachedSKU(store: store, sku: sku)
        }
        let matching = lines.filter { $0.sku == sku }
        if let entry, entry.status == .found, let item = entry.inventoryItem {
            try runtime.state.update(matching.map { LineUpdate(ref: $0.ref, state: .pending, inventoryItem: item) })
        } else {
            let why =
                entry?.status == .ambiguous ? "several inventory items have this SKU" : "no inventory item has this SKU"
            try runtime.state.update(
                matching.map {
                    LineUpdate(
                        ref: $0.ref,
                        state: .skipped,
                        reason: .noInventoryItem,
                        error: "lookup: \(why)"
                    )
                }
            )
            if try runtime.state.shouldLogSKUMiss(store: store, sku: sku, now: now) {
                logger.warning(
                    "skipped SKU \(sku): \(why) in Shopify (lookup_missing); logged once an hour",
                    metadata: [
                        "message_id": MessageID.lineSkipped.metadataValue,
                        "shopify.sku": "\(sku)",
                        "sync.outcome": "skipped",
                        "shopify.error_code": "no_inventory_item",
                    ]
                )
            }
            runtime.spoolBell.ring()
        }
        return true
    }
}
