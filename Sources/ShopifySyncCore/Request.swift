/// A request file from the spool: a stock movement (deltas) or a bulk sync (absolute quantities).
public enum Request: Sendable, Hashable {
    case movement(Movement)
    case bulkSync(BulkSync)

    /// The request's id, the base of exactly-once.
    public var id: String {
        switch self {
        case .movement(let movement): movement.id
        case .bulkSync(let bulk): bulk.id
        }
    }

    public var kind: String {
        switch self {
        case .movement: "movement"
        case .bulkSync: "bulk_sync"
        }
    }
}

/// The kinds of WMS stock movement, each pushed to Shopify under its own reason.
public enum MovementType: String, Sendable, Hashable, CaseIterable, Codable {
    case receipt, pick, shipment, adjustment
    case stocktakeVariance = "stocktake_variance"
    case transfer
    case `return`

    /// The Shopify inventory reason the contract assigns to this movement type.
    public var shopifyReason: String {
        switch self {
        case .receipt: "received"
        case .return: "restock"
        case .stocktakeVariance: "cycle_count_available"
        case .adjustment: "correction"
        case .pick, .shipment, .transfer: "movement_created"
        }
    }

    /// Whether a movement of this type for a Shopify order was already counted by Shopify itself.
    public var consumesOrderStock: Bool { self == .pick || self == .shipment }
}

/// One WMS stock movement: quantity changes (deltas) of SKUs at WMS locations.
public struct Movement: Sendable, Hashable {
    public struct Order: Sendable, Hashable {
        public var store: String
        public var id: String
        public init(store: String, id: String) {
            self.store = store
            self.id = id
        }
    }

    public struct Line: Sendable, Hashable {
        public var sku: String
        public var location: String?
        public var delta: Int
        public init(sku: String, location: String?, delta: Int) {
            self.sku = sku
            self.location = location
            self.delta = delta
        }
    }

    public var id: String
    public var type: MovementType
    public var occurredAt: String?
    public var reference: String?
    public var order: Order?
    public var lines: [Line]

    public init(
        id: String,
        type: MovementType,
        occurredAt: String? = nil,
        reference: String? = nil,
        order: Order? = nil,
        lines: [Line]
    ) {
        self.id = id
        self.type = type
        self.occurredAt = occurredAt
        self.reference = reference
        self.order = order
        self.lines = lines
    }
}

/// A request to set absolute on-hand quantities, for chosen items (`selected`) or the whole stock (`all`).
public struct BulkSync: Sendable, Hashable {
    public enum Scope: String, Sendable, Hashable, Codable {
        case selected, all
    }

    public struct Item: Sendable, Hashable {
        public var sku: String
        public var location: String?
        public var onHand: Int
        public init(sku: String, location: String?, onHand: Int) {
            self.sku = sku
            self.location = location
            self.onHand = onHand
        }
    }

    public var id: String
    public var store: String?
    public var scope: Scope
    public var force: Bool
    /// The RFC 3339 instant the snapshot describes (`as_of`); nil: when the request is recorded.
    public var asOf: String?
    public var items: [Item]

    public init(id: String, store: String?, scope: Scope, force: Bool, asOf: String? = nil, items: [Item]) {
        self.id = id
        self.store = store
        self.scope = scope
        self.force = force
        self.asOf = asOf
        self.items = items
    }
}
