/// The status of a bulk operation (`BulkOperationStatus`); a value this client does not know is kept as sent.
public struct BulkOperationStatus: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public static let created = BulkOperationStatus(rawValue: "CREATED")
    public static let running = BulkOperationStatus(rawValue: "RUNNING")
    public static let completed = BulkOperationStatus(rawValue: "COMPLETED")
    public static let failed = BulkOperationStatus(rawValue: "FAILED")
    public static let canceling = BulkOperationStatus(rawValue: "CANCELING")
    public static let canceled = BulkOperationStatus(rawValue: "CANCELED")
    public static let expired = BulkOperationStatus(rawValue: "EXPIRED")

    /// Whether the operation will not change any more: every status but CREATED, RUNNING and CANCELING.
    public var isFinal: Bool { self != .created && self != .running && self != .canceling }

    public var description: String { rawValue }
}

/// What `bulkOperationRunQuery` returned: the new operation, or the userErrors that kept it from starting.
public struct BulkOperationStart: Sendable, Hashable {
    /// `gid://shopify/BulkOperation/N`; nil when Shopify refused to start it (see ``userErrors``).
    public var operationID: String?
    /// The status the operation was created with (CREATED); nil when it was not started.
    public var status: BulkOperationStatus?
    /// For example `INVALID` (the query), `LIMIT_REACHED` or `OPERATION_IN_PROGRESS` (too many bulk
    /// operations running on the shop: try again later or read another way).
    public var userErrors: [ShopifyUserError]
    public var cost: QueryCost?

    public init(
        operationID: String?,
        status: BulkOperationStatus?,
        userErrors: [ShopifyUserError],
        cost: QueryCost?
    ) {
        self.operationID = operationID
        self.status = status
        self.userErrors = userErrors
        self.cost = cost
    }
}

/// One poll of a bulk operation (`bulkOperation(id:)`).
public struct BulkOperationState: Sendable, Hashable {
    public var id: String
    public var status: BulkOperationStatus
    /// Why a FAILED operation failed: `ACCESS_DENIED`, `INTERNAL_SERVER_ERROR` or `TIMEOUT`.
    public var errorCode: String?
    /// Where the JSONL result is, once COMPLETED; nil when the result has no objects. A signed storage URL:
    /// download it without the access token (``InventoryAPI/download(url:)``).
    public var url: String?
    /// Where a FAILED operation's incomplete result is, when it has one.
    public var partialDataURL: String?
    /// Objects read so far (every JSONL line, nested ones included).
    public var objectCount: Int
    /// Objects read so far at the root of the query only.
    public var rootObjectCount: Int
    /// The size in bytes of the file at ``url``.
    public var fileSize: Int?
    public var cost: QueryCost?

    public init(
        id: String,
        status: BulkOperationStatus,
        errorCode: String? = nil,
        url: String? = nil,
        partialDataURL: String? = nil,
        objectCount: Int = 0,
        rootObjectCount: Int = 0,
        fileSize: Int? = nil,
        cost: QueryCost? = nil
    ) {
        self.id = id
        self.status = status
        self.errorCode = errorCode
        self.url = url
        self.partialDataURL = partialDataURL
        self.objectCount = objectCount
        self.rootObjectCount = rootObjectCount
        self.fileSize = fileSize
        self.cost = cost
    }
}
