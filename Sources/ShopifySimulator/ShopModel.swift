import Foundation

/// The quantity names a level holds.
enum QuantityName {
    static let all = [
        "available", "on_hand", "committed", "damaged", "incoming", "quality_control", "reserved", "safety_stock",
    ]
    /// Names `inventoryAdjustQuantities` accepts (captured: inventory-adjust-name-allowlist.json).
    static let adjustable = ["available", "damaged", "incoming", "quality_control", "reserved", "safety_stock"]
    /// Names that also move `on_hand` when adjusted (captured: inventory-adjust-on-hand-name-mirrors.json).
    static let mirroredIntoOnHand: Set<String> = [
        "available", "damaged", "quality_control", "reserved", "safety_stock",
    ]
    /// Names `inventorySetQuantities` accepts (captured: inventorySetQuantities-name-validation.json).
    static let settable = ["available", "on_hand"]
}

/// The 17 reasons Shopify accepts (captured: inventory-reason-validation.json).
enum InventoryReason {
    static let all = [
        "correction", "cycle_count_available", "damaged", "movement_canceled", "movement_created",
        "movement_received", "movement_updated", "other", "promotion", "quality_control", "received",
        "reservation_created", "reservation_deleted", "reservation_updated", "restock", "safety_stock",
        "shrinkage",
    ]
    static let set = Set(all)
    static let message = "The specified reason is invalid. Valid values are: \(all.joined(separator: ", "))."
}

/// One item's quantities at one location.
struct LevelModel: Sendable, Hashable {
    var quantities: [String: Int] = [:]

    init(onHand: Int) {
        for name in QuantityName.all { quantities[name] = 0 }
        quantities["on_hand"] = onHand
        quantities["available"] = onHand
    }

    subscript(name: String) -> Int {
        get { quantities[name] ?? 0 }
        set { quantities[name] = newValue }
    }
}

struct ItemModel: Sendable, Hashable {
    var id: String
    var sku: String?
    /// Location gid -> level.
    var levels: [String: LevelModel]
}

/// A row of an adjustment group, as `changes` lists it.
struct ChangeModel: Sendable, Hashable {
    var name: String
    var delta: Int
    var itemID: String
    var locationID: String
    var ledgerDocumentUri: String?
}

struct AdjustmentGroupModel: Sendable, Hashable {
    var id: String
    var createdAt: String
    var reason: String
    var referenceDocumentUri: String?
    var changes: [ChangeModel]
}

struct UserErrorModel: Sendable, Hashable {
    var field: [String]?
    var message: String
    var code: String?
}

/// What a mutation returned: the group (nil when nothing changed or on errors) and its userErrors.
struct PayloadModel: Sendable, Hashable {
    var group: AdjustmentGroupModel?
    var userErrors: [UserErrorModel]
}

/// A stored idempotent answer: the parameters it was given and what it returned.
struct IdempotencyRecord: Sendable {
    var rootField: String
    var parameters: String
    var payload: PayloadModel
}

/// One simulated store's data: locations, items, the SKU index, the idempotency store and the cost bucket.
struct ShopModel: Sendable {
    var name: String
    var token: String?
    var locationOrder: [String] = []
    var locationNames: [String: String] = [:]
    var items: [String: ItemModel] = [:]
    var itemOrder: [String] = []
    var skuIndex: [String: [String]] = [:]
    var idempotency: [String: IdempotencyRecord] = [:]
    var bucket: LeakyBucket
    var nextGroupNumber = 60_000_000_000_001
    /// This shop's bulk query operations, oldest first.
    var bulkOperations: [BulkOperationModel] = []
    /// Set on the copy a bulk query reads: connections then return every node, whatever `first`/`after` say.
    var unpagedConnections = false

    init(_ shop: SimulatorShop, bucket: LeakyBucket) {
        name = shop.name
        token = shop.token
        self.bucket = bucket
        for location in shop.locations { addLocation(location, name: shop.locationNames[location]) }
        for item in shop.items { upsert(item) }
    }

    mutating func addLocation(_ id: String, name: String? = nil) {
        if locationNames[id] == nil { locationOrder.append(id) }
        locationNames[id] = name ?? locationNames[id] ?? "Location \(GID.number(id) ?? id)"
    }

    /// Adds an item, or replaces the SKU and the listed levels of an existing one.
    mutating func upsert(_ item: SimulatorItem) {
        var model = items[item.id] ?? ItemModel(id: item.id, sku: nil, levels: [:])
        if items[item.id] == nil { itemOrder.append(item.id) }
        if let old = model.sku { skuIndex[old]?.removeAll { $0 == item.id } }
        model.sku = item.sku
        if let sku = item.sku { skuIndex[sku, default: []].append(item.id) }
        for (location, onHand) in item.levels {
            addLocation(location)
            model.levels[location] = LevelModel(onHand: onHand)
        }
        items[item.id] = model
    }

    func locationName(_ id: String) -> String { locationNames[id] ?? "Location \(GID.number(id) ?? id)" }

    var levelsSnapshot: [String: SimulatorItemLevels] {
        var result: [String: SimulatorItemLevels] = [:]
        for (id, item) in items {
            result[id] = SimulatorItemLevels(
                sku: item.sku,
                locations: item.levels.mapValues {
                    SimulatorQuantities(available: $0["available"], onHand: $0["on_hand"])
                }
            )
        }
        return result
    }

    mutating func makeGroupID() -> String {
        defer { nextGroupNumber += 1 }
        return "gid://shopify/InventoryAdjustmentGroup/\(nextGroupNumber)"
    }
}

/// Global id helpers.
enum GID {
    /// The trailing number of `gid://shopify/Type/123` (query string dropped).
    static func number(_ gid: String) -> String? {
        guard let last = gid.split(separator: "/").last else { return nil }
        let digits = last.prefix { $0.isNumber }
        return digits.isEmpty ? nil : String(digits)
    }

    static func type(_ gid: String) -> String? {
        guard gid.hasPrefix("gid://shopify/") else { return nil }
        let parts = gid.dropFirst("gid://shopify/".count).split(separator: "/")
        return parts.first.map(String.init)
    }
}

/// A Shopify-style leaky bucket: calls pay points out of it and it refills at `restoreRate` points a second.
struct LeakyBucket: Sendable {
    var capacity: Double
    var restoreRate: Double
    var available: Double
    var updated: ContinuousClock.Instant

    init(capacity: Double, restoreRate: Double, now: ContinuousClock.Instant) {
        self.capacity = capacity
        self.restoreRate = restoreRate
        available = capacity
        updated = now
    }

    mutating func refill(now: ContinuousClock.Instant) {
        guard now > updated else { return }
        let elapsed = now - updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        available = min(capacity, available + seconds * restoreRate)
        updated = now
    }

    mutating func pay(_ points: Double) {
        available = max(0, available - points)
    }

    /// `extensions.cost.throttleStatus`, with whole points as the captures show.
    var throttleStatus: SimJSON {
        .obj([
            ("maximumAvailable", .double(capacity)),
            ("currentlyAvailable", .double(available.rounded(.down))),
            ("restoreRate", .double(restoreRate)),
        ])
    }
}
