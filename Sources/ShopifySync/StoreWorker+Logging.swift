import Foundation
import Logging
import ServiceLifecycle
import ShopifyAPI
import ShopifySyncCore
import SyncState
import Systemd

/// Journal entries for lines and calls.
extension StoreWorker {
    func logLineOutcomes(_ updates: [LineUpdate], lines: [LineRecord]) {
        for update in updates where update.state == .failed {
            let line = lines.first { $0.ref == update.ref }
            logger.error(
                "SKU \(line?.sku ?? "?") failed in store \(store): \(update.errorCode ?? "") \(update.error ?? "")",
                metadata: [
                    "message_id": MessageID.lineFailed.metadataValue,
                    "shopify.sku": "\(line?.sku ?? "")",
                    "shopify.inventory_item": "\(line?.inventoryItem ?? "")",
                    "shopify.location": "\(line?.location ?? "")",
                    "wms.movement_id": "\(update.ref.requestID)",
                    "sync.outcome": "failed",
                    "shopify.error_code": "\(update.errorCode ?? "")",
                    "shopify.error": "\(update.error ?? "")",
                ]
            )
        }
        for update in updates where update.state == .skipped && update.reason == .equal {
            let line = lines.first { $0.ref == update.ref }
            logger.debug(
                "bulk sync: SKU \(line?.sku ?? "?") already \(update.before ?? 0) in store \(store)",
                metadata: [
                    "message_id": MessageID.bulkSyncItem.metadataValue,
                    "shopify.sku": "\(line?.sku ?? "")",
                    "wms.movement_id": "\(update.ref.requestID)",
                    "sync.outcome": "skipped",
                ]
            )
        }
    }

    func logInSnapshot(_ lines: [LineRecord]) {
        for line in lines {
            logger.info(
                "SKU \(line.sku) of \(line.ref.requestID) not sent to store \(store): a snapshot written for its item and location already counts it (in_snapshot)",
                metadata: [
                    "message_id": MessageID.lineSkipped.metadataValue,
                    "shopify.sku": "\(line.sku)",
                    "shopify.inventory_item": "\(line.inventoryItem ?? "")",
                    "shopify.location": "\(line.location ?? "")",
                    "wms.movement_id": "\(line.ref.requestID)",
                    "sync.outcome": "skipped",
                    "shopify.error_code": "\(LineReason.inSnapshot.rawValue)",
                ]
            )
        }
    }

    func logBulkItems(_ updates: [LineUpdate], lines: [LineRecord]) {
        for update in updates {
            let line = lines.first { $0.ref == update.ref }
            logger.info(
                "bulk sync: SKU \(line?.sku ?? "?") set from \(update.before ?? 0) to \(update.after ?? 0) in store \(store)",
                metadata: [
                    "message_id": MessageID.bulkSyncItem.metadataValue,
                    "shopify.sku": "\(line?.sku ?? "")",
                    "shopify.inventory_item": "\(line?.inventoryItem ?? "")",
                    "shopify.location": "\(line?.location ?? "")",
                    "wms.movement_id": "\(update.ref.requestID)",
                    "sync.outcome": "applied",
                ]
            )
        }
    }
}
