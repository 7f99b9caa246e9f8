/// One row of an `inventoryAdjustQuantities` call: a quantity change of `available` at one location.
public struct InventoryChange: Sendable, Hashable, Codable {
    /// The inventory item's global id, `gid://shopify/InventoryItem/N`.
    public var inventoryItemID: String
    /// The location's global id, `gid://shopify/Location/N`.
    public var locationID: String
    /// The nonzero change, within +-1,000,000,000.
    public var delta: Int

    public init(inventoryItemID: String, locationID: String, delta: Int) {
        self.inventoryItemID = inventoryItemID
        self.locationID = locationID
        self.delta = delta
    }
}

/// One `inventoryAdjustQuantities` call (name `available`, `changeFromQuantity: null` on every row).
public struct AdjustRequest: Sendable, Hashable, Codable {
    /// One of Shopify's reasons (`received`, `restock`, `correction`, `cycle_count_available`, `movement_created`).
    public var reason: String
    /// Names the call in Shopify's inventory history, for example `gid://shopify-sync/SyncCall/<key>`.
    public var referenceDocumentURI: String
    /// Sent as `@idempotent(key:)`; a retry of the same call reuses it.
    public var idempotencyKey: String
    /// At most 250 rows, at most one per (item, location).
    public var changes: [InventoryChange]

    public init(reason: String, referenceDocumentURI: String, idempotencyKey: String, changes: [InventoryChange]) {
        self.reason = reason
        self.referenceDocumentURI = referenceDocumentURI
        self.idempotencyKey = idempotencyKey
        self.changes = changes
    }
}

/// One row of an `inventorySetQuantities` call (name `on_hand`).
public struct QuantitySet: Sendable, Hashable, Codable {
    public var inventoryItemID: String
    public var locationID: String
    /// The absolute on-hand quantity, 0...1,000,000,000.
    public var quantity: Int
    /// The quantity read just before; Shopify refuses the row with `CHANGE_FROM_QUANTITY_STALE` when it moved.
    public var changeFromQuantity: Int?

    public init(inventoryItemID: String, locationID: String, quantity: Int, changeFromQuantity: Int?) {
        self.inventoryItemID = inventoryItemID
        self.locationID = locationID
        self.quantity = quantity
        self.changeFromQuantity = changeFromQuantity
    }
}

/// One `inventorySetQuantities` call.
public struct SetRequest: Sendable, Hashable, Codable {
    public var reason: String
    public var referenceDocumentURI: String
    public var idempotencyKey: String
    public var quantities: [QuantitySet]

    public init(reason: String, referenceDocumentURI: String, idempotencyKey: String, quantities: [QuantitySet]) {
        self.reason = reason
        self.referenceDocumentURI = referenceDocumentURI
        self.idempotencyKey = idempotencyKey
        self.quantities = quantities
    }
}

/// A `userErrors` entry of a mutation payload.
public struct ShopifyUserError: Sendable, Hashable, Codable {
    /// The path Shopify names, for example `["input", "changes", "3", "inventoryItemId"]`.
    public var field: [String]?
    /// Shopify's code, for example `INVALID_INVENTORY_ITEM`; nil where the type has no code.
    public var code: String?
    public var message: String

    public init(field: [String]?, code: String?, message: String) {
        self.field = field
        self.code = code
        self.message = message
    }

    /// The index of the input row this error names (`field[2]` when `field[1]` is a row list), nil for the whole call.
    public var rowIndex: Int? {
        guard let field, field.count >= 3, field[0] == "input" else { return nil }
        return Int(field[2])
    }
}

/// `extensions.cost.throttleStatus`.
public struct ThrottleStatus: Sendable, Hashable, Codable {
    public var maximumAvailable: Double
    public var currentlyAvailable: Double
    public var restoreRate: Double

    public init(maximumAvailable: Double, currentlyAvailable: Double, restoreRate: Double) {
        self.maximumAvailable = maximumAvailable
        self.currentlyAvailable = currentlyAvailable
        self.restoreRate = restoreRate
    }
}

/// `extensions.cost` of a response.
public struct QueryCost: Sendable, Hashable, Codable {
    public var requestedQueryCost: Double
    public var actualQueryCost: Double?
    public var throttleStatus: ThrottleStatus

    public init(requestedQueryCost: Double, actualQueryCost: Double?, throttleStatus: ThrottleStatus) {
        self.requestedQueryCost = requestedQueryCost
        self.actualQueryCost = actualQueryCost
        self.throttleStatus = throttleStatus
    }
}

/// What a mutation call returned when Shopify answered it: userErrors (the call applied nothing when any) and cost.
public struct MutationResult: Sendable, Hashable {
    public var userErrors: [ShopifyUserError]
    public var cost: QueryCost?

    public init(userErrors: [ShopifyUserError], cost: QueryCost?) {
        self.userErrors = userErrors
        self.cost = cost
    }
}

/// The current `on_hand` of items at one location; nil where the item is not stocked there or unknown.
public struct OnHandResult: Sendable, Hashable {
    public var onHand: [String: Int?]
    /// Items Shopify does not know at all (their node came back null), as opposed to items not stocked here.
    public var unknownItems: Set<String>
    public var cost: QueryCost?

    public init(onHand: [String: Int?], unknownItems: Set<String> = [], cost: QueryCost?) {
        self.onHand = onHand
        self.unknownItems = unknownItems
        self.cost = cost
    }
}

/// Inventory items whose SKU equals the one asked for, exactly.
public struct SKULookupResult: Sendable, Hashable {
    public var inventoryItemIDs: [String]
    public var cost: QueryCost?

    public init(inventoryItemIDs: [String], cost: QueryCost?) {
        self.inventoryItemIDs = inventoryItemIDs
        self.cost = cost
    }
}

/// The inventory calls shopify-sync makes to one store.
///
/// A call that Shopify answered returns, userErrors included; a call that did not reach a verdict
/// (network, HTTP status, THROTTLED, top-level GraphQL errors) throws ``ShopifyError``.
public protocol InventoryAPI: Sendable {
    func adjustQuantities(_ request: AdjustRequest) async throws(ShopifyError) -> MutationResult
    func setQuantities(_ request: SetRequest) async throws(ShopifyError) -> MutationResult
    /// Sends a write whose request body (``ShopifyClient/body(of:)``) was encoded before, byte for byte: a
    /// resend under an idempotency key carries exactly the parameters of the first send.
    func sendWrite(_ write: InventoryWrite, body: [UInt8]) async throws(ShopifyError) -> MutationResult
    /// Reads `on_hand` of up to 250 items at one location in one call.
    func onHand(items: [String], locationID: String) async throws(ShopifyError) -> OnHandResult
    /// Finds inventory items by exact SKU.
    func lookupSKU(_ sku: String) async throws(ShopifyError) -> SKULookupResult
    /// One cheap read-only query (`shop { name }`), for `check --online`.
    func shopName() async throws(ShopifyError) -> String
    /// Starts a bulk query operation running `query` (for example ``ShopifyDocuments/bulkOnHandQuery``); a
    /// refusal (invalid query, too many bulk operations running) comes back as userErrors.
    func startBulkQuery(_ query: String) async throws(ShopifyError) -> BulkOperationStart
    /// Polls a bulk operation by id.
    func bulkOperation(id: String) async throws(ShopifyError) -> BulkOperationState
    /// Downloads a completed bulk operation's result from its `url`; the access token is never sent there.
    func download(url: String) async throws(ShopifyError) -> [UInt8]
}

/// The two inventory writes, for a request body encoded ahead of its send.
public enum InventoryWrite: String, Sendable, Hashable {
    case adjust = "inventoryAdjustQuantities"
    case set = "inventorySetQuantities"
}

/// Why a call to Shopify did not reach a verdict.
public struct ShopifyError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Kind: String, Sendable, Hashable {
            case throttled, accessDenied, unavailable, network, timeout, badResponse, graphQL, cancelled
        }
        fileprivate let kind: Kind
        public var description: String { kind.rawValue }

        /// THROTTLED, HTTP 429: wait (``ShopifyError/retryAfter``) and send again.
        public static let throttled = Code(kind: .throttled)
        /// HTTP 401, 402, 403, 423: the store is paused until a probe succeeds.
        public static let accessDenied = Code(kind: .accessDenied)
        /// HTTP 5xx (503 honours Retry-After): retry with backoff.
        public static let unavailable = Code(kind: .unavailable)
        /// Connection refused, reset, DNS, TLS: retry with backoff.
        public static let network = Code(kind: .network)
        /// The connect or total deadline passed: retry with backoff.
        public static let timeout = Code(kind: .timeout)
        /// An answer that is not the JSON expected: retry with backoff.
        public static let badResponse = Code(kind: .badResponse)
        /// Top-level GraphQL errors other than THROTTLED (BAD_REQUEST, INVALID_VARIABLE, ...): not retryable.
        public static let graphQL = Code(kind: .graphQL)
        /// The task was cancelled; the call's outcome is unknown.
        public static let cancelled = Code(kind: .cancelled)
    }

    public var code: Code
    /// Shopify's message (or curl's), never containing the access token.
    public var message: String
    public var httpStatus: Int?
    /// Shopify's error code, for example `THROTTLED`, `BAD_REQUEST`, `INVALID_FIELD_ARGUMENTS`.
    public var shopifyCode: String?
    /// From `Retry-After`, or derived from `throttleStatus` on THROTTLED.
    public var retryAfter: Duration?
    public var cost: QueryCost?
    /// The request provably never reached Shopify (no connection, no name, a failed TLS handshake), so
    /// nothing it carried can have been applied.
    public var notSent: Bool = false

    public init(
        code: Code,
        message: String,
        httpStatus: Int? = nil,
        shopifyCode: String? = nil,
        retryAfter: Duration? = nil,
        cost: QueryCost? = nil
    ) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.shopifyCode = shopifyCode
        self.retryAfter = retryAfter
        self.cost = cost
    }

    /// Whether the same call may be sent again later (everything but top-level GraphQL errors).
    public var isRetryable: Bool { code != .graphQL }

    public var description: String {
        var text = "\(code)"
        if let httpStatus { text += " HTTP \(httpStatus)" }
        if let shopifyCode { text += " \(shopifyCode)" }
        return text + ": " + message
    }
}
