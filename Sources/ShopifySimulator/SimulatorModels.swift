import Foundation

/// One simulated store: its locations, its inventory items and, optionally, the access token it accepts.
public struct SimulatorShop: Sendable, Hashable {
    /// The path segment that reaches it (`http://127.0.0.1:PORT/<name>/admin/api/...`); "default" for the bare path.
    public var name: String
    /// Location gids, `gid://shopify/Location/N`.
    public var locations: [String]
    /// Location gid -> display name (`location { name }`); unnamed locations are called "Location N".
    public var locationNames: [String: String]
    public var items: [SimulatorItem]
    /// When set, any other `X-Shopify-Access-Token` is answered 401; when nil, any non-empty token is accepted.
    public var token: String?

    public init(
        name: String,
        locations: [String],
        items: [SimulatorItem],
        token: String? = nil,
        locationNames: [String: String] = [:]
    ) {
        self.name = name
        self.locations = locations
        self.items = items
        self.token = token
        self.locationNames = locationNames
    }
}

/// One inventory item and where it is stocked.
public struct SimulatorItem: Sendable, Hashable, Codable {
    /// `gid://shopify/InventoryItem/N`.
    public var id: String
    public var sku: String?
    /// Location gid -> on_hand; `available` starts equal to it. A location not listed is "not stocked".
    public var levels: [String: Int]

    public init(id: String, sku: String?, levels: [String: Int]) {
        self.id = id
        self.sku = sku
        self.levels = levels
    }
}

/// Faults the simulator injects; settable at start and at run time (`POST /__sim/faults`).
///
/// Decoding fills missing keys with the defaults below, so a JSON body may name only what it changes.
public struct SimulatorFaults: Sendable, Hashable, Codable {
    /// The share of GraphQL calls (0...1) answered with a 5xx and `Retry-After` before anything is applied.
    public var failRate: Double
    /// The next this-many GraphQL calls are answered with a 5xx (counts down; deterministic, for tests).
    public var failNext: Int
    /// The status of injected failures; nil rotates through 500, 502 and 503.
    public var failStatus: Int?
    /// The `Retry-After` seconds sent with injected failures.
    public var retryAfterSeconds: Int
    /// Added before every GraphQL call is answered.
    public var latencyMs: Int
    /// Shops whose every GraphQL call is answered 401.
    public var unauthorized: Set<String>
    /// The share of mutation calls (0...1) that are applied and recorded, then have their connection broken
    /// before a complete HTTP response is written.
    public var breakAfterApplyRate: Double
    /// The next this-many mutation calls are applied, then have their connection broken (counts down).
    public var breakAfterApplyNext: Int
    /// Shops whose every GraphQL call is answered with a 5xx (one store in trouble, the others fine).
    public var failingShops: Set<String>
    /// Extra latency per shop, added to `latencyMs`.
    public var shopLatencyMs: [String: Int]
    /// userError codes the next mutation calls are answered with, one per call, in order: the call applies
    /// nothing and its key is not recorded (so any userError code of the schema can be answered on demand).
    public var userErrorNext: [String] = []
    /// Sends injected failures' `Retry-After` as an HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`) instead of
    /// seconds; both forms are in RFC 9110.
    public var retryAfterAsDate = false
    /// How long a bulk query operation runs (on the simulator's clock) before it ends; read when it starts.
    public var bulkRunningTimeMs = 200
    /// Shops whose bulk query operations end FAILED with `errorCode: ACCESS_DENIED` and no result (as when
    /// the query reaches objects the app's scopes do not cover); read when an operation starts.
    public var bulkDenied: Set<String> = []

    public init(
        failRate: Double = 0,
        failNext: Int = 0,
        failStatus: Int? = nil,
        retryAfterSeconds: Int = 1,
        latencyMs: Int = 0,
        unauthorized: Set<String> = [],
        breakAfterApplyRate: Double = 0,
        breakAfterApplyNext: Int = 0,
        failingShops: Set<String> = [],
        shopLatencyMs: [String: Int] = [:]
    ) {
        self.failRate = failRate
        self.failNext = failNext
        self.failStatus = failStatus
        self.retryAfterSeconds = retryAfterSeconds
        self.latencyMs = latencyMs
        self.unauthorized = unauthorized
        self.breakAfterApplyRate = breakAfterApplyRate
        self.breakAfterApplyNext = breakAfterApplyNext
        self.failingShops = failingShops
        self.shopLatencyMs = shopLatencyMs
    }

    public init(from decoder: any Decoder) throws {
        try self.init(from: decoder, base: SimulatorFaults())
    }

    /// Decodes the keys present over `base`, keeping `base`'s value for every key that is missing.
    init(from decoder: any Decoder, base: SimulatorFaults) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self = base
        if let value = try container.decodeIfPresent(Double.self, forKey: .failRate) { failRate = value }
        if let value = try container.decodeIfPresent(Int.self, forKey: .failNext) { failNext = value }
        if container.contains(.failStatus) { failStatus = try container.decodeIfPresent(Int.self, forKey: .failStatus) }
        if let value = try container.decodeIfPresent(Int.self, forKey: .retryAfterSeconds) { retryAfterSeconds = value }
        if let value = try container.decodeIfPresent(Int.self, forKey: .latencyMs) { latencyMs = value }
        if let value = try container.decodeIfPresent(Set<String>.self, forKey: .unauthorized) { unauthorized = value }
        if let value = try container.decodeIfPresent(Double.self, forKey: .breakAfterApplyRate) {
            breakAfterApplyRate = value
        }
        if let value = try container.decodeIfPresent(Int.self, forKey: .breakAfterApplyNext) {
            breakAfterApplyNext = value
        }
        if let value = try container.decodeIfPresent(Bool.self, forKey: .retryAfterAsDate) { retryAfterAsDate = value }
        if let value = try container.decodeIfPresent(Set<String>.self, forKey: .failingShops) { failingShops = value }
        if let value = try container.decodeIfPresent([String: Int].self, forKey: .shopLatencyMs) {
            shopLatencyMs = value
        }
        if let value = try container.decodeIfPresent([String].self, forKey: .userErrorNext) { userErrorNext = value }
        if let value = try container.decodeIfPresent(Int.self, forKey: .bulkRunningTimeMs) { bulkRunningTimeMs = value }
        if let value = try container.decodeIfPresent(Set<String>.self, forKey: .bulkDenied) { bulkDenied = value }
    }

    /// Decodes a partial JSON object over `base` (what `POST /__sim/faults` does).
    public static func merging(_ json: Data, over base: SimulatorFaults) throws -> SimulatorFaults {
        let decoder = JSONDecoder()
        decoder.userInfo[baseKey] = Box(base)
        return try decoder.decode(Patch.self, from: json).faults
    }

    private static let baseKey = CodingUserInfoKey(rawValue: "SimulatorFaults.base")!

    private final class Box: @unchecked Sendable {
        let value: SimulatorFaults
        init(_ value: SimulatorFaults) { self.value = value }
    }

    private struct Patch: Decodable {
        var faults: SimulatorFaults
        init(from decoder: any Decoder) throws {
            let base = (decoder.userInfo[SimulatorFaults.baseKey] as? Box)?.value ?? SimulatorFaults()
            faults = try SimulatorFaults(from: decoder, base: base)
        }
    }
}

/// How a simulator starts.
public struct SimulatorOptions: Sendable {
    public var shops: [SimulatorShop]
    /// Points restored per second in each shop's cost bucket.
    public var restoreRate: Double
    /// The bucket's size (`maximumAvailable`).
    public var bucket: Double
    public var faults: SimulatorFaults
    public var host: String
    /// 0 picks a free port.
    public var port: Int

    public init(
        shops: [SimulatorShop],
        restoreRate: Double = 100,
        bucket: Double = 2000,
        faults: SimulatorFaults = SimulatorFaults(),
        host: String = "127.0.0.1",
        port: Int = 0
    ) {
        self.shops = shops
        self.restoreRate = restoreRate
        self.bucket = bucket
        self.faults = faults
        self.host = host
        self.port = port
    }
}

/// What the simulator did with a call.
public enum SimulatorCallOutcome: String, Sendable, Hashable, Codable {
    /// A mutation changed quantities.
    case applied
    /// A mutation was accepted but changed nothing (all deltas zero, or every quantity already equal).
    case noop
    /// The same idempotency key with the same parameters: the stored answer was sent again, nothing applied.
    case replayed
    /// Nothing applied: userErrors, top-level errors, THROTTLED, 401, an injected 5xx.
    case refused
    /// A query, or a bulk query operation started (it changes no data).
    case read
}

/// One HTTP call the simulator received on a GraphQL endpoint.
public struct SimulatorCall: Sendable, Hashable, Codable {
    /// 1, 2, 3, ... in the order received.
    public var sequence: Int
    public var time: Date
    public var shop: String
    /// The first root field, for example `inventoryAdjustQuantities`; nil when the document did not parse.
    public var rootField: String?
    public var rootFields: [String]
    public var operationName: String?
    public var idempotencyKey: String?
    public var variables: SimJSON
    public var outcome: SimulatorCallOutcome
    /// Why, for refusals: `THROTTLED`, `HTTP 401`, `HTTP 503`, a top-level code, or the userError codes.
    public var detail: String?
    public var httpStatus: Int
    /// The call was answered by closing the connection without a complete response (after applying it).
    public var connectionBroken: Bool
    /// Rows in the mutation's input (changes or quantities).
    public var rows: Int
    /// The points the call cost (`actualQueryCost`, taken from the shop's bucket); 0 when it was not executed.
    public var points: Int

    public init(
        sequence: Int,
        time: Date,
        shop: String,
        rootField: String?,
        rootFields: [String],
        operationName: String?,
        idempotencyKey: String?,
        variables: SimJSON,
        outcome: SimulatorCallOutcome,
        detail: String?,
        httpStatus: Int,
        connectionBroken: Bool,
        rows: Int,
        points: Int = 0
    ) {
        self.sequence = sequence
        self.time = time
        self.shop = shop
        self.rootField = rootField
        self.rootFields = rootFields
        self.operationName = operationName
        self.idempotencyKey = idempotencyKey
        self.variables = variables
        self.outcome = outcome
        self.detail = detail
        self.httpStatus = httpStatus
        self.connectionBroken = connectionBroken
        self.rows = rows
        self.points = points
    }
}

/// `available` and `on_hand` of one item at one location.
public struct SimulatorQuantities: Sendable, Hashable, Codable {
    public var available: Int
    public var onHand: Int

    public init(available: Int, onHand: Int) {
        self.available = available
        self.onHand = onHand
    }

    enum CodingKeys: String, CodingKey {
        case available
        case onHand = "on_hand"
    }
}

/// One item's SKU and quantities at every location it is stocked at.
public struct SimulatorItemLevels: Sendable, Hashable, Codable {
    public var sku: String?
    /// Location gid -> quantities.
    public var locations: [String: SimulatorQuantities]

    public init(sku: String?, locations: [String: SimulatorQuantities]) {
        self.sku = sku
        self.locations = locations
    }
}

/// Why the simulator refused an inspection or seeding request.
public struct SimulatorError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
