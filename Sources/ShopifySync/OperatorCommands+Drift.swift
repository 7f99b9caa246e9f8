import Foundation
import ShopifyAPI
import ShopifySyncCore

extension OperatorCommands {
    /// One compared (store, location, SKU).
    struct DriftRow: Codable {
        var store: String
        var location: String
        var sku: String
        var wms: Int
        var shopify: Int?
        var difference: Int?
    }

    /// Totals of a drift report.
    struct DriftSummary: Codable {
        var compared = 0
        var equal = 0
        var differing = 0
        var notStocked = 0
        var unmapped = 0
    }

    /// Reads Shopify's on_hand for every mapped snapshot row and prints the differences; writes nothing.
    ///
    /// Exit 0 without drift, 1 with drift, 69 when Shopify cannot be read. Shopify is read in batches of 250.
    public func drift(csv: String, store: String?, json: Bool, output: (String) -> Void) async throws(CommandFailure) {
        let config = try loadConfig()
        if let store, config.stores[store] == nil {
            throw CommandFailure(.usage, "store \"\(store)\" is not in the config")
        }
        let catalog: Catalog
        do {
            catalog = try Catalog.load(path: config.catalogPath, knownStores: Set(config.stores.keys))
        } catch {
            throw CommandFailure(.configError, error.description)
        }
        let mapper = Mapper(config: config, catalog: catalog)
        let clients = StoreClients.make(for: config)
        var summary = DriftSummary()
        var pending: [String: [(sku: String, item: String, wms: Int)]] = [:]
        var first = true
        if json { output("{\"drift\":[") }
        func emit(_ row: DriftRow) {
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                let text = (try? encoder.encode(row)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                output((first ? "" : ",") + text)
                first = false
            } else {
                let shopify = row.shopify.map(String.init) ?? "not stocked"
                let difference = row.difference.map { $0 > 0 ? "+\($0)" : "\($0)" } ?? "-"
                output(
                    "\(row.store)\t\(row.location)\t\(row.sku)\twms \(row.wms)\tshopify \(shopify)\tdiff \(difference)"
                )
            }
        }
        func flush(_ key: String) async throws(CommandFailure) {
            guard let rows = pending.removeValue(forKey: key), !rows.isEmpty else { return }
            let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
            let (storeName, location) = (parts[0], parts[1])
            guard let client = clients[storeName] else { return }
            let result = try await Self.readOnHand(client, items: rows.map(\.item), location: location)
            for row in rows {
                summary.compared += 1
                guard let shopify = result.onHand[row.item] ?? nil else {
                    summary.notStocked += 1
                    emit(DriftRow(store: storeName, location: location, sku: row.sku, wms: row.wms))
                    continue
                }
                if shopify == row.wms {
                    summary.equal += 1
                } else {
                    summary.differing += 1
                    emit(
                        DriftRow(
                            store: storeName,
                            location: location,
                            sku: row.sku,
                            wms: row.wms,
                            shopify: shopify,
                            difference: row.wms - shopify
                        )
                    )
                }
            }
        }
        // Several WMS locations mapped to one Shopify location add up, as a bulk sync writes them: the whole
        // snapshot is summed per (store, Shopify location, item) before Shopify is read, 250 items a call.
        var totals: [String: [String: (sku: String, wms: Int)]] = [:]
        var order: [String: [String]] = [:]
        var reader = try SnapshotReader(path: csv)
        while let row = try reader.next() {
            let item = BulkSync.Item(sku: row.sku, location: row.location, onHand: row.onHand)
            for target in mapper.targets(for: item, onlyStore: store) {
                guard case .send(let storeName, let itemID, let location) = target else {
                    summary.unmapped += 1
                    continue
                }
                let key = "\(storeName)|\(location)"
                if let known = totals[key]?[itemID] {
                    totals[key]?[itemID] = (known.sku, known.wms + row.onHand)
                } else {
                    totals[key, default: [:]][itemID] = (row.sku, row.onHand)
                    order[key, default: []].append(itemID)
                }
            }
        }
        for key in order.keys.sorted() {
            let items = order[key] ?? []
            for start in stride(from: 0, to: items.count, by: Netting.maxRows) {
                pending[key] = items[start..<min(start + Netting.maxRows, items.count)].compactMap { item in
                    totals[key]?[item].map { (sku: $0.sku, item: item, wms: $0.wms) }
                }
                try await flush(key)
            }
        }
        let drifted = summary.differing + summary.notStocked
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            let text = (try? encoder.encode(summary)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            output("],\"summary\":\(text)}")
        } else {
            output(
                "compared \(summary.compared): equal \(summary.equal), differing \(summary.differing), "
                    + "not stocked \(summary.notStocked), unmapped \(summary.unmapped)"
            )
        }
        if drifted > 0 { throw CommandFailure(.finishedWithFailures, "drift found in \(drifted) row(s)") }
    }

    /// One batched read, waiting out throttling a few times; anything else is exit 69.
    static func readOnHand(
        _ client: any InventoryAPI,
        items: [String],
        location: String
    ) async throws(CommandFailure)
        -> OnHandResult
    {
        var attempt = 0
        while true {
            do {
                return try await client.onHand(items: items, locationID: location)
            } catch {
                attempt += 1
                guard error.code == .throttled || error.code == .unavailable || error.code == .network, attempt < 8
                else {
                    throw CommandFailure(.unavailable, "cannot read Shopify: \(error)")
                }
                try? await Task.sleep(for: error.retryAfter ?? RetryPolicy().delay(attempt: attempt))
            }
        }
    }
}
