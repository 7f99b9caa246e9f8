/// Where a line stands.
public enum LineState: String, Sendable, Hashable, Codable {
    /// Waiting to be sent (or in flight, when it belongs to an intent).
    case pending
    /// Waiting for its inventory item to be looked up by SKU.
    case lookup
    case applied
    case skipped
    case failed

    /// Whether the line still has work to do.
    public var isOpen: Bool { self == .pending || self == .lookup }
}

/// What a line asks of Shopify.
public enum LineKind: String, Sendable, Hashable, Codable {
    /// A delta (`inventoryAdjustQuantities`).
    case adjust
    /// An absolute on-hand quantity (`inventorySetQuantities`).
    case set
}

/// One line of one request in one store: what the planner makes of a request line and the ledger stores.
public struct LineRecord: Sendable, Hashable {
    public var ref: LineRef
    public var sku: String
    public var kind: LineKind
    public var state: LineState
    public var reason: LineReason?
    public var errorCode: String?
    public var error: String?
    public var inventoryItem: String?
    public var location: String?
    public var shopifyReason: String?
    public var delta: Int?
    public var quantity: Int?
    public var before: Int?
    public var after: Int?
    public var generation: Int
    public var rereads: Int
    public var intentID: Int64?
    public var firstAttemptAt: Double?
    /// The instant the line's information refers to: a movement's `occurred_at` (or when it was recorded), a
    /// snapshot's `as_of` (or when it was recorded). Seconds since 1970.
    public var at: Double?
    /// For a snapshot line: the snapshot's quantity summed over every line of the request on the same
    /// (store, SKU, Shopify location), the quantity actually written.
    public var pairQuantity: Int?

    public init(
        ref: LineRef,
        sku: String,
        kind: LineKind,
        state: LineState,
        reason: LineReason? = nil,
        inventoryItem: String? = nil,
        location: String? = nil,
        shopifyReason: String? = nil,
        delta: Int? = nil,
        quantity: Int? = nil
    ) {
        self.ref = ref
        self.sku = sku
        self.kind = kind
        self.state = state
        self.reason = reason
        self.inventoryItem = inventoryItem
        self.location = location
        self.shopifyReason = shopifyReason
        self.delta = delta
        self.quantity = quantity
        self.generation = 0
        self.rereads = 0
    }
}
