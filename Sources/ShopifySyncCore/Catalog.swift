/// Which Shopify inventory item each SKU is, per store (contract section 4).
public struct Catalog: Sendable, Hashable {
    /// One (sku, store) row.
    public struct Entry: Sendable, Hashable {
        public var sku: String
        public var store: String
        /// A `gid://shopify/InventoryItem/N`, or nil when the catalog leaves it empty (looked up when allowed).
        public var inventoryItemID: String?
        /// False excludes this product in this store.
        public var sync: Bool
        /// The catalog line, for messages.
        public var line: Int

        public init(sku: String, store: String, inventoryItemID: String?, sync: Bool, line: Int = 0) {
            self.sku = sku
            self.store = store
            self.inventoryItemID = inventoryItemID
            self.sync = sync
            self.line = line
        }
    }

    /// Entries by SKU, each SKU's entries in store-name order.
    public private(set) var entriesBySKU: [String: [Entry]] = [:]

    public init(entries: [Entry] = []) {
        for entry in entries { entriesBySKU[entry.sku, default: []].append(entry) }
        for key in entriesBySKU.keys { entriesBySKU[key]?.sort { $0.store < $1.store } }
    }

    /// Every entry, ordered by SKU then store.
    public var entries: [Entry] {
        entriesBySKU.keys.sorted().flatMap { entriesBySKU[$0] ?? [] }
    }

    public func entries(forSKU sku: String) -> [Entry] { entriesBySKU[sku] ?? [] }

    /// Entries of one store that sync (the store's mapped items).
    public func syncedEntries(store: String) -> [Entry] {
        entries.filter { $0.store == store && $0.sync }
    }

    /// Reads a catalog CSV (`sku,store,inventory_item_id,sync`); every problem names the file and line.
    ///
    /// `knownStores`, when given, makes a row naming another store an error.
    public static func load(path: String, knownStores: Set<String>? = nil) throws(ConfigErrors) -> Catalog {
        var errors: [ConfigError] = []
        var entries: [Entry] = []
        var seen: [String: Int] = [:]
        do {
            var file = try CSVFile(path: path, requiredColumns: ["sku", "store", "inventory_item_id", "sync"])
            while let row = try file.next() {
                if CSVFile.isBlank(row) { continue }
                let line = file.line
                func fail(_ message: String) { errors.append(ConfigError(file: path, line: line, message)) }
                let sku = row["sku"] ?? ""
                let store = row["store"] ?? ""
                let item = row["inventory_item_id"] ?? ""
                let syncText = (row["sync"] ?? "").lowercased()
                guard !sku.isEmpty, sku.count <= 255 else {
                    fail("column sku: expected 1 to 255 characters")
                    continue
                }
                guard !store.isEmpty else {
                    fail("column store: empty (SKU \(sku))")
                    continue
                }
                if let knownStores, !knownStores.contains(store) {
                    fail("column store: \"\(store)\" is not a store in the config (SKU \(sku))")
                    continue
                }
                var itemID: String?
                if !item.isEmpty {
                    guard let gid = ShopifyID.normalize(item, kind: "InventoryItem") else {
                        fail(
                            "column inventory_item_id: expected gid://shopify/InventoryItem/N or a number, got \"\(item)\""
                        )
                        continue
                    }
                    itemID = gid
                }
                let sync: Bool
                switch syncText {
                case "true", "1", "yes", "": sync = true
                case "false", "0", "no": sync = false
                default:
                    fail("column sync: expected true or false, got \"\(row["sync"] ?? "")\"")
                    continue
                }
                let key = "\(sku)\u{0}\(store)"
                if let first = seen[key] {
                    fail("SKU \(sku) appears twice for store \(store) (first on line \(first))")
                    continue
                }
                seen[key] = line
                entries.append(Entry(sku: sku, store: store, inventoryItemID: itemID, sync: sync, line: line))
            }
        } catch {
            errors.append(error)
        }
        guard errors.isEmpty else { throw ConfigErrors(errors) }
        return Catalog(entries: entries)
    }
}
