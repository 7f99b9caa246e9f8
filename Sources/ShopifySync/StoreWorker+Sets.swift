import Foundation
import Logging
import ServiceLifecycle
import ShopifyAPI
import ShopifySyncCore
import SyncState
import Systemd

/// Absolute quantities: a fresh read, the snapshot rule and compare-and-set rows.
extension StoreWorker {
    func sendSets(_ api: any InventoryAPI, _ progress: inout Progress) async throws -> Bool {
        let open = try runtime.state.openLines(store: store, kind: .set, state: .pending, limit: 2_000)
        guard let location = open.first?.location else {
            bulkReadDone(&progress)
            return false
        }
        let bulkLevels: [String: Int]
        switch try await setLevels(api, openSetLines: open.count, &progress) {
        case .waiting: return false
        case .paged: bulkLevels = [:]
        case .bulk(let levels): bulkLevels = levels[location] ?? [:]
        }
        // One group per item: the oldest request's lines for it (several WMS locations on this Shopify
        // location write one row); a later request's lines for the same item wait for a later call.
        var order: [String] = []
        var groups: [String: (request: String, lines: [LineRecord])] = [:]
        for line in open where line.location == location {
            guard let item = line.inventoryItem else { continue }
            if let group = groups[item] {
                if group.request == line.ref.requestID { groups[item]?.lines.append(line) }
                continue
            }
            guard order.count < Netting.maxRows else { continue }
            order.append(item)
            groups[item] = (line.ref.requestID, [line])
        }
        let planned = order.compactMap { item -> SetPlan.Group? in
            guard let lines = groups[item]?.lines, let first = lines.first else { return nil }
            return SetPlan.Group(
                inventoryItemID: item,
                quantity: first.pairQuantity ?? lines.reduce(0) { $0 + ($1.quantity ?? 0) },
                asOf: first.at ?? 0,
                members: lines.map(\.ref),
                memberTags: lines.map { "\($0.ref.requestID)#\($0.ref.line)@\($0.generation).\($0.rereads)" }
            )
        }
        // A bulk read's level serves an item unless one of its lines was found stale against it before; the
        // rest (those, and items the bulk read did not find at the location) are read now, in one paged read.
        var levels: [String: SetPlan.Level] = [:]
        var staleItems: Set<String> = []
        for item in order {
            guard let current = bulkLevels[item], groups[item]?.lines.allSatisfy({ $0.rereads == 0 }) == true else {
                continue
            }
            levels[item] = .onHand(current)
            staleItems.insert(item)
        }
        let unread = order.filter { levels[$0] == nil }
        if !unread.isEmpty {
            let cost = ShopifyDocuments.estimatedCost(.onHand(itemCount: unread.count))
            let read = try await call(api, cost: cost, background: true, &progress) {
                try await $0.onHand(items: unread, locationID: location)
            }
            progress.observe(read.cost, at: runtime.monotonicNow())
            for item in unread {
                if let current = read.onHand[item] ?? nil {
                    levels[item] = .onHand(current)
                } else {
                    levels[item] = read.unknownItems.contains(item) ? .unknownItem : .notStocked
                }
            }
        }
        let history = try runtime.state.snapshotHistory(
            store: store,
            location: location,
            asOf: Dictionary(uniqueKeysWithValues: planned.map { ($0.inventoryItemID, $0.asOf) })
        )
        let plan = SetPlan(
            store: store,
            locationID: location,
            groups: planned,
            levels: levels,
            history: history,
            staleItems: staleItems
        )
        let lines = order.flatMap { groups[$0]?.lines ?? [] }
        var updates: [LineUpdate] = []
        for settled in plan.settled {
            for ref in settled.members {
                let item = lines.first { $0.ref == ref }?.inventoryItem ?? "?"
                switch settled.settlement {
                case .equal(let current):
                    updates.append(
                        LineUpdate(
                            ref: ref,
                            state: .skipped,
                            reason: .equal,
                            before: current,
                            after: current
                        )
                    )
                case .superseded:
                    updates.append(LineUpdate(ref: ref, state: .skipped, reason: .superseded))
                case .unknownItem:
                    updates.append(
                        LineUpdate(
                            ref: ref,
                            state: .failed,
                            errorCode: "INVALID_INVENTORY_ITEM",
                            error: "Shopify has no inventory item \(item)"
                        )
                    )
                case .notStocked:
                    updates.append(
                        LineUpdate(
                            ref: ref,
                            state: .failed,
                            errorCode: "ITEM_NOT_STOCKED_AT_LOCATION",
                            error: "Shopify has no inventory level for \(item) at \(location)"
                        )
                    )
                }
            }
        }
        if !updates.isEmpty {
            try runtime.state.update(updates)
            logLineOutcomes(updates, lines: lines)
            runtime.spoolBell.ring()
        }
        guard !plan.rows.isEmpty else { return true }
        let key = plan.idempotencyKey
        let request = SetRequest(
            reason: "correction",
            referenceDocumentURI: "gid://shopify-sync/SyncCall/\(key)",
            idempotencyKey: key,
            quantities: plan.rows.map {
                QuantitySet(
                    inventoryItemID: $0.inventoryItemID,
                    locationID: location,
                    quantity: $0.quantity,
                    changeFromQuantity: $0.changeFromQuantity
                )
            }
        )
        let intent = try runtime.state.createIntent(
            store: store,
            kind: .set,
            idempotencyKey: key,
            payload: try Self.encode(request),
            body: try ShopifyClient.body(of: request),
            members: plan.rows.flatMap(\.members),
            now: runtime.now().timeIntervalSince1970
        )
        try await send(intent, api: api, &progress)
        return true
    }
}
