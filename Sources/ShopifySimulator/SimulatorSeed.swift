import Foundation
import ShopifySyncCore

/// Builds simulated shops from a shopify-sync config and catalog, so the daemon's own files drive the demo.
public enum SimulatorSeed {
    /// One shop per configured store, stocked at the store's default location and every mapped location.
    ///
    /// A shop is named after its endpoint's path (`http://127.0.0.1:8787/au` -> "au"), or the store's name when
    /// the endpoint has no path. Every catalog row with an item id becomes that item in its store's shop with
    /// `initialOnHand` at every location; a row with an empty id becomes an item with a generated id and that
    /// SKU, so SKU lookup finds it. The shop accepts the token in the store's token file when that file is
    /// readable, and any token otherwise.
    public static func shops(
        configPath: String,
        catalogPath: String?,
        initialOnHand: Int = 0
    ) throws(SimulatorError) -> [SimulatorShop] {
        let config: SyncConfig
        do {
            config = try SyncConfig.load(path: configPath)
        } catch {
            throw SimulatorError("cannot read the config: \(error)")
        }
        var catalog = Catalog()
        let path = catalogPath ?? config.catalogPath
        if catalogPath != nil || FileManager.default.fileExists(atPath: path) {
            do {
                catalog = try Catalog.load(path: path)
            } catch {
                throw SimulatorError("cannot read the catalog: \(error)")
            }
        }
        return shops(config: config, catalog: catalog, initialOnHand: initialOnHand)
    }

    /// The same from values already loaded.
    public static func shops(config: SyncConfig, catalog: Catalog, initialOnHand: Int = 0) -> [SimulatorShop] {
        var generated = 8_000_000_000_001
        return config.storeNames.compactMap { storeName -> SimulatorShop? in
            guard let store = config.stores[storeName] else { return nil }
            var locations = [store.defaultLocation]
            var names: [String: String] = [store.defaultLocation: "Default location"]
            for (code, gid) in store.locations.sorted(by: { $0.key < $1.key }) {
                if !locations.contains(gid) { locations.append(gid) }
                if names[gid] == nil || gid == store.defaultLocation { names[gid] = code }
            }
            let levels = Dictionary(uniqueKeysWithValues: locations.map { ($0, initialOnHand) })
            var items: [SimulatorItem] = []
            var seen: Set<String> = []
            for entry in catalog.entries where entry.store == storeName {
                var id = entry.inventoryItemID.map(ShopifyGID.inventoryItem) ?? ""
                if id.isEmpty {
                    id = "gid://shopify/InventoryItem/\(generated)"
                    generated += 1
                }
                guard seen.insert(id).inserted else { continue }
                items.append(SimulatorItem(id: id, sku: entry.sku, levels: levels))
            }
            let token = try? String(contentsOfFile: store.tokenFile, encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            return SimulatorShop(
                name: shopName(endpoint: store.endpoint) ?? storeName,
                locations: locations,
                items: items,
                token: token?.isEmpty == false ? token : nil,
                locationNames: names
            )
        }
    }

    /// The first path segment of an endpoint URL, nil when it has none.
    static func shopName(endpoint: String) -> String? {
        guard let url = URL(string: endpoint) else { return nil }
        let segments = url.path.split(separator: "/")
        return segments.first.map(String.init)
    }
}

/// Normalises catalog ids (already gids after `Catalog.load`) for seeding.
enum ShopifyGID {
    static func inventoryItem(_ id: String) -> String {
        if id.isEmpty || id.hasPrefix("gid://") { return id }
        return "gid://shopify/InventoryItem/\(id)"
    }
}
