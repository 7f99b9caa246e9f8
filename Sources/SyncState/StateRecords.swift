import ShopifySyncCore

/// A request's state in the ledger.
public enum RequestStatus: String, Sendable, Hashable, Codable {
    case active, done, failed
}

/// A request as the ledger knows it.
public struct RequestRecord: Sendable, Hashable {
    public var id: String
    public var contentHash: String
    public var kind: String
    public var spoolFile: String
    public var status: RequestStatus
    public var outcome: String?
    public var reason: String?
    public var message: String?
    /// Free JSON kept with the request (warnings, the hard sync's missing SKUs).
    public var info: String?
    public var attempts: Int
    public var receivedAt: Double
    public var finishedAt: Double?
}

/// A finished request's outcome, as recorded before its file leaves processing/.
public struct RequestOutcome: Sendable, Hashable {
    public var id: String
    public var status: RequestStatus
    public var outcome: String
    public var reason: String?
    public var message: String?

    public init(id: String, status: RequestStatus, outcome: String, reason: String?, message: String?) {
        self.id = id
        self.status = status
        self.outcome = outcome
        self.reason = reason
        self.message = message
    }
}

/// A request file to record: its id and content hash, and its lines, planned only when the id is new.
public struct NewRequest: Sendable {
    public var id: String
    public var contentHash: String
    public var kind: String
    /// Its name in processing/.
    public var file: String
    public var info: String?
    public var lines: @Sendable () -> [LineRecord]

    public init(
        id: String,
        contentHash: String,
        kind: String,
        file: String,
        info: String?,
        lines: @escaping @Sendable () -> [LineRecord]
    ) {
        self.id = id
        self.contentHash = contentHash
        self.kind = kind
        self.file = file
        self.info = info
        self.lines = lines
    }
}

/// What the ledger made of a request file that names an id.
public enum Registration: Sendable, Hashable {
    /// First seen: its lines were planned and stored.
    case new
    /// Seen before in this very file and not finished (a restart after a crash).
    case resumed
    /// Seen before, failed, now requeued: its failed lines are open again, its applied lines stay applied.
    case requeued
    /// The same id and content was already applied (or is being applied from `existingFile`).
    case duplicate(existingFile: String)
    /// The same id with other content.
    case conflict(existingFile: String)
}

/// A call written down before it is sent, so that after a crash the same call goes out with the same key.
public struct StoredIntent: Sendable, Hashable {
    /// The payload encodings this version can resend unchanged.
    /// 1: `payload` only (the body is encoded again at each send); 2: `payload` and the exact `body`.
    public static let knownFormats: Set<Int> = [1, 2]

    public var id: Int64
    public var store: String
    public var kind: LineKind
    public var idempotencyKey: String
    /// The encoded request (JSON), resent unchanged.
    public var payload: [UInt8]
    public var attempts: Int
    /// When the intent was written, just before its first send: the start of its idempotency window.
    public var createdAt: Double
    public var lastError: String?
    /// How `payload` is encoded; see ``knownFormats``.
    public var format: Int = 1
    /// Held: its outcome is unknown; it is resent only by a requeue within its idempotency window.
    public var held: Bool = false
    /// The exact request body of the first send (format 2), resent byte for byte.
    public var body: [UInt8]?
    /// Whether any attempt may have reached Shopify (false only while every failure provably did not).
    public var mayHaveSent: Bool = false
}

/// A ledger row holding a value this version does not know: never read as a default.
public struct LedgerCorruption: Error, Sendable, CustomStringConvertible {
    public var table: String
    public var column: String
    public var value: String

    public init(table: String, column: String, value: String) {
        self.table = table
        self.column = column
        self.value = value
    }

    public var description: String {
        "the state database holds \(table).\(column) = \"\(value)\", which this version does not know; "
            + "it was written by a newer version or damaged"
    }
}

/// A change to one line, applied with others in one transaction.
public struct LineUpdate: Sendable, Hashable {
    public var ref: LineRef
    public var state: LineState
    public var reason: LineReason?
    public var errorCode: String?
    public var error: String?
    public var inventoryItem: String?
    public var before: Int?
    public var after: Int?
    /// Count one more re-read (a stale compare-and-set row goes back to pending).
    public var countReread: Bool
    /// Raise the line's generation: it goes again under a new idempotency key (Shopify provably applied none of
    /// it under the old one).
    public var newGeneration: Bool

    public init(
        ref: LineRef,
        state: LineState,
        reason: LineReason? = nil,
        errorCode: String? = nil,
        error: String? = nil,
        inventoryItem: String? = nil,
        before: Int? = nil,
        after: Int? = nil,
        countReread: Bool = false,
        newGeneration: Bool = false
    ) {
        self.ref = ref
        self.state = state
        self.reason = reason
        self.errorCode = errorCode
        self.error = error
        self.inventoryItem = inventoryItem
        self.before = before
        self.after = after
        self.countReread = countReread
        self.newGeneration = newGeneration
    }
}

/// A store's health, for `status`.
public struct StoreStateRecord: Sendable, Hashable, Codable {
    public var store: String
    public var state: StoreHealth.Name
    public var reason: String?
    public var lastSuccess: Double?
    public var lastError: String?
    public var updatedAt: Double
}

/// A cached SKU lookup.
public struct SKUCacheEntry: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        case found, missing, ambiguous
    }
    public var inventoryItem: String?
    public var status: Status
    public var checkedAt: Double
    public var loggedAt: Double?
}

/// A file-level event (refused, duplicate, conflict, finished), for `status` and for the durability rule.
public struct FileEvent: Sendable, Hashable, Codable {
    public var name: String
    public var folder: String
    public var outcome: String
    public var reason: String?
    public var message: String?
    public var at: Double

    public init(name: String, folder: String, outcome: String, reason: String?, message: String?, at: Double) {
        self.name = name
        self.folder = folder
        self.outcome = outcome
        self.reason = reason
        self.message = message
        self.at = at
    }
}
