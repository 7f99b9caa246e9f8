import Foundation

/// One bulk query operation of a shop and its result.
///
/// Documented by Shopify (bulk operations guide, `BulkOperation` and its enums in the 2026-07 schema): the
/// statuses CREATED, RUNNING, COMPLETED and FAILED with an `errorCode`; `url` to a JSONL file once
/// COMPLETED; `objectCount` counting every object and `rootObjectCount` the root connection's only.
///
/// Modelling choices (no capture exists): the result is read from the shop's data as it is when the operation
/// starts, so a write made while it runs is never in it (a real operation reads while it runs, so such a write
/// may or may not be); the mutation answers CREATED, the next look answers RUNNING, and the operation ends
/// once `runningTime` has passed on the simulator's clock (`advanceClock` moves it). The counts stay 0 until
/// it ends. A result without objects has `url` null; a FAILED operation has neither `url` nor
/// `partialDataUrl`.
struct BulkOperationModel: Sendable {
    enum Status: String, Sendable {
        case created = "CREATED"
        case running = "RUNNING"
        case completed = "COMPLETED"
        case failed = "FAILED"
    }

    /// The N of `gid://shopify/BulkOperation/N`, unique across the simulator's shops.
    var number: Int
    /// The query document as given.
    var query: String
    var createdAt: Date
    /// When it ends, on the simulator's clock.
    var endsAt: ContinuousClock.Instant
    var runningTime: Duration
    /// Ends FAILED with ACCESS_DENIED instead of COMPLETED.
    var denied: Bool
    /// The JSONL read at the start (nil when denied).
    var result: BulkResult?
    var status: Status = .created

    var id: String { "gid://shopify/BulkOperation/\(number)" }

    var isRunning: Bool { status == .created || status == .running }

    /// Moves the status on to what it is at `now`: RUNNING once looked at, then COMPLETED or FAILED.
    mutating func advance(now: ContinuousClock.Instant) {
        guard isRunning else { return }
        if now >= endsAt {
            status = denied ? .failed : .completed
        } else {
            status = .running
        }
    }

    /// The file's URL below `baseURL` (the simulator's `http://host:port`), when there is a file to fetch.
    func url(baseURL: String) -> String? {
        guard status == .completed, let result, result.objectCount > 0 else { return nil }
        return "\(baseURL)/__sim/bulk/\(number).jsonl"
    }

    /// `BulkOperation` as the schema has it.
    func object(baseURL: String) -> ResolvedObject {
        let operation = self
        return ResolvedObject(typeName: "BulkOperation") { field, _ in
            let done = operation.status == .completed
            switch field.name {
            case "id": return .leaf(.string(operation.id))
            case "status": return .leaf(.string(operation.status.rawValue))
            case "type": return .leaf(.string("QUERY"))
            case "query": return .leaf(.string(operation.query))
            case "errorCode": return .leaf(operation.status == .failed ? .string("ACCESS_DENIED") : .null)
            case "createdAt": return .leaf(.string(ShopModel.timestamp(operation.createdAt)))
            case "completedAt":
                guard done else { return .null }
                let completed = operation.createdAt.addingTimeInterval(operation.runningSeconds)
                return .leaf(.string(ShopModel.timestamp(completed)))
            // UnsignedInt64 is a JSON string, as Shopify sends it.
            case "objectCount": return .leaf(.string(String(done ? operation.result?.objectCount ?? 0 : 0)))
            case "rootObjectCount": return .leaf(.string(String(done ? operation.result?.rootObjectCount ?? 0 : 0)))
            case "fileSize":
                guard operation.url(baseURL: "") != nil, let result = operation.result else { return .null }
                return .leaf(.string(String(result.jsonl.count)))
            case "url": return .leaf(operation.url(baseURL: baseURL).map(SimJSON.string) ?? .null)
            case "partialDataUrl": return .null
            default: return .null
            }
        }
    }

    private var runningSeconds: Double {
        Double(runningTime.components.seconds) + Double(runningTime.components.attoseconds) / 1e18
    }
}

/// A bulk query's result file and its counts.
struct BulkResult: Sendable {
    var jsonl: [UInt8]
    var objectCount: Int
    var rootObjectCount: Int
}
