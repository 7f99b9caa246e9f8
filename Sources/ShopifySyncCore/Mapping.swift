/// Why a line ended as it did beyond its state: the one vocabulary of reasons that reports, the journal and
/// `status` give, and the ledger stores (a value it does not know fails loudly).
public enum LineReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// The catalog's `sync=false` excludes the product in that store.
    case excluded
    /// No Shopify inventory item for the SKU (not in the catalog, empty id without lookup, lookup miss or ambiguity).
    case noInventoryItem = "no_inventory_item"
    /// A pick or shipment of an order placed in that store: Shopify already took the units.
    case shopifyOrder = "shopify_order"
    /// A bulk sync item whose quantity already equals Shopify's.
    case equal
    /// A bulk sync item for which a newer snapshot (a later `as_of`) was already written.
    case superseded
    /// A movement line that occurred at or before the `as_of` of a snapshot already written for its item and
    /// location: the snapshot already counts it.
    case inSnapshot = "in_snapshot"
    /// Applied without a call: the line's delta and others' on the same item and location added up to zero.
    case nettedToZero = "netted_to_zero"
    /// Written by versions before disabled stores held their work: the line was skipped. Read from old
    /// ledgers only; never produced now.
    case storeDisabled = "store_disabled"
}

/// Where one request line goes in one store, or why it does not.
public enum LineTarget: Sendable, Hashable {
    /// Send to this item and location.
    case send(store: String, inventoryItemID: String, locationID: String)
    /// The catalog has no item id and the store looks SKUs up: resolve it, then send to this location.
    case lookup(store: String, locationID: String)
    /// Not sent to `store` (nil when no store knows the SKU).
    case skip(store: String?, reason: LineReason)

    public var store: String? {
        switch self {
        case .send(let store, _, _), .lookup(let store, _): store
        case .skip(let store, _): store
        }
    }
}

/// The mapping rules of the contract: product sync flags, SKU to item per store,
/// location mapping with the default fallback, and the Shopify-order rule for picks and shipments.
public struct Mapper: Sendable {
    public var config: SyncConfig
    public var catalog: Catalog

    public init(config: SyncConfig, catalog: Catalog) {
        self.config = config
        self.catalog = catalog
    }

    /// Every store a movement line goes to, with the reason for each store it does not.
    ///
    /// A SKU the catalog does not know yields one `skip(store: nil, .noInventoryItem)`.
    public func targets(for line: Movement.Line, in movement: Movement) -> [LineTarget] {
        targets(sku: line.sku, location: line.location, onlyStore: nil) { store in
            if let order = movement.order, movement.type.consumesOrderStock, order.store == store {
                return .shopifyOrder
            }
            return nil
        }
    }

    /// Every store a bulk sync item goes to (only `onlyStore` when the request names one).
    public func targets(for item: BulkSync.Item, onlyStore: String?) -> [LineTarget] {
        targets(sku: item.sku, location: item.location, onlyStore: onlyStore) { _ in nil }
    }

    private func targets(
        sku: String,
        location: String?,
        onlyStore: String?,
        extraRule: (String) -> LineReason?
    ) -> [LineTarget] {
        let entries = catalog.entries(forSKU: sku).filter { onlyStore == nil || $0.store == onlyStore }
        guard !entries.isEmpty else { return [.skip(store: onlyStore, reason: .noInventoryItem)] }
        // A store with `enabled = false` is mapped like any other: its lines wait until it is enabled again.
        // (The catalog names only configured stores: it is checked against the config when it is loaded.)
        return entries.compactMap { entry in
            guard let store = config.stores[entry.store] else { return nil }
            if !entry.sync { return .skip(store: store.name, reason: .excluded) }
            if let reason = extraRule(store.name) { return .skip(store: store.name, reason: reason) }
            let locationID = store.shopifyLocation(for: location)
            guard let itemID = entry.inventoryItemID else {
                return store.lookupMissing
                    ? .lookup(store: store.name, locationID: locationID)
                    : .skip(store: store.name, reason: .noInventoryItem)
            }
            return .send(store: store.name, inventoryItemID: itemID, locationID: locationID)
        }
    }
}
