/// Turns a decoded request into ledger lines through the mapping rules, and applies the request-level checks
/// (unknown store, the hard sync's mass-zero guard).
public struct RequestPlanner: Sendable {
    /// A request refused as a whole before any of it is recorded.
    public struct Refusal: Error, Sendable, Hashable {
        public var reason: String
        public var message: String
    }

    /// What a request becomes: its lines and the info kept with it.
    public struct Plan: Sendable {
        public var lines: [LineRecord]
        public var missingFromSnapshot: [String: [String]] = [:]
    }

    public var mapper: Mapper

    public init(mapper: Mapper) {
        self.mapper = mapper
    }

    /// A hash of the request's meaning (not its bytes), so the same movement re-dropped with other spacing
    /// is a duplicate and one with other content a conflict.
    public static func contentHash(_ request: Request) -> String {
        var parts: [String] = []
        switch request {
        case .movement(let movement):
            parts = [
                "movement", movement.id, movement.type.rawValue, movement.occurredAt ?? "", movement.reference ?? "",
                movement.order.map { "\($0.store)/\($0.id)" } ?? "",
            ]
            for line in movement.lines { parts.append("\(line.sku)|\(line.location ?? "")|\(line.delta)") }
        case .bulkSync(let bulk):
            parts = ["bulk_sync", bulk.id, bulk.store ?? "", bulk.scope.rawValue, bulk.force ? "force" : ""]
            // Added with as_of; a request without it hashes as before, so files recorded earlier stay duplicates.
            if let asOf = bulk.asOf { parts.append("as_of=\(asOf)") }
            for item in bulk.items { parts.append("\(item.sku)|\(item.location ?? "")|\(item.onHand)") }
        }
        return StableHash.key(parts)
    }

    public func plan(_ request: Request, massZeroPercent: Double) throws(Refusal) -> Plan {
        switch request {
        case .movement(let movement): plan(movement)
        case .bulkSync(let bulk): try plan(bulk, massZeroPercent: massZeroPercent)
        }
    }

    private func plan(_ movement: Movement) -> Plan {
        var lines: [LineRecord] = []
        // Without occurred_at the line's instant is when it is recorded (filled in by the ledger).
        let occurred = movement.occurredAt.flatMap(RFC3339.instant)
        for (index, line) in movement.lines.enumerated() {
            for target in mapper.targets(for: line, in: movement) {
                var record = record(target, requestID: movement.id, index: index, sku: line.sku, kind: .adjust)
                record.delta = line.delta
                record.shopifyReason = movement.type.shopifyReason
                record.at = occurred
                lines.append(record)
            }
        }
        return Plan(lines: lines)
    }

    private func plan(_ bulk: BulkSync, massZeroPercent: Double) throws(Refusal) -> Plan {
        if let store = bulk.store, mapper.config.stores[store] == nil {
            throw Refusal(reason: "unknown_store", message: "store \"\(store)\" is not in the config")
        }
        var lines: [LineRecord] = []
        let asOf = bulk.asOf.flatMap(RFC3339.instant)
        /// The first item per (SKU, WMS location): the same pair twice is a mistake in the snapshot.
        var firstItem: [String: Int] = [:]
        /// The open lines per (store, SKU, Shopify location): several WMS locations on one Shopify location add up.
        var pairLines: [String: [Int]] = [:]
        for (index, item) in bulk.items.enumerated() {
            let wmsPair = "\(item.sku)\u{1f}\(item.location ?? "")"
            if let earlier = firstItem[wmsPair] {
                throw Refusal(
                    reason: "duplicate_item",
                    message: "items[\(index)] repeats SKU \(item.sku) at location \(item.location ?? "(default)") "
                        + "of items[\(earlier)]; a snapshot names each SKU and location once"
                )
            }
            firstItem[wmsPair] = index
            for target in mapper.targets(for: item, onlyStore: bulk.store) {
                var record = record(target, requestID: bulk.id, index: index, sku: item.sku, kind: .set)
                record.quantity = item.onHand
                record.shopifyReason = "correction"
                record.at = asOf
                if record.state.isOpen {
                    pairLines["\(record.ref.store)\u{1f}\(record.sku)\u{1f}\(record.location ?? "")", default: []]
                        .append(lines.count)
                }
                lines.append(record)
            }
        }
        for members in pairLines.values {
            let total = members.reduce(0) { $0 + (lines[$1].quantity ?? 0) }
            for index in members { lines[index].pairQuantity = total }
        }
        var plan = Plan(lines: lines)
        guard bulk.scope == .all else { return plan }
        // Every configured store, enabled or not: a disabled store's lines wait for it, guarded the same way.
        let stores = bulk.store.map { [$0] } ?? mapper.config.storeNames
        let named = Set(bulk.items.map(\.sku))
        for store in stores {
            let mapped = mapper.catalog.syncedEntries(store: store)
            let missing = mapped.map(\.sku).filter { !named.contains($0) }
            if !missing.isEmpty { plan.missingFromSnapshot[store] = missing }
            guard !bulk.force else { continue }
            // Items, like the catalog's mapped entries: a SKU set to 0 at two locations counts once, and a
            // Shopify location's quantity is the sum of the WMS locations mapped to it.
            let zeros = Set(
                lines.filter { $0.ref.store == store && $0.state.isOpen && ($0.pairQuantity ?? $0.quantity) == 0 }
                    .map(\.sku)
            ).count
            if let refusal = Self.massZeroGuard(
                store: store,
                items: bulk.items.count,
                zeros: zeros,
                mapped: mapped.count,
                percent: massZeroPercent
            ) {
                throw refusal
            }
        }
        return plan
    }

    private func record(_ target: LineTarget, requestID: String, index: Int, sku: String, kind: LineKind) -> LineRecord
    {
        switch target {
        case .send(let store, let item, let location):
            LineRecord(
                ref: LineRef(requestID: requestID, line: index, store: store),
                sku: sku,
                kind: kind,
                state: .pending,
                inventoryItem: item,
                location: location
            )
        case .lookup(let store, let location):
            LineRecord(
                ref: LineRef(requestID: requestID, line: index, store: store),
                sku: sku,
                kind: kind,
                state: .lookup,
                location: location
            )
        case .skip(let store, let reason):
            LineRecord(
                ref: LineRef(requestID: requestID, line: index, store: store ?? ""),
                sku: sku,
                kind: kind,
                state: .skipped,
                reason: reason
            )
        }
    }

    /// The hard sync's mass-zero guard (without `force`): an empty snapshot is refused, and so is one that
    /// would set more than `percent` of a store's `mapped` items to 0. At the limit it passes.
    public static func massZeroGuard(
        store: String,
        items: Int,
        zeros: Int,
        mapped: Int,
        percent: Double
    ) -> Refusal? {
        if items == 0 {
            return Refusal(
                reason: "mass_zero_guard",
                message: "a hard sync with no items would leave every mapped item unchecked; refused without force"
            )
        }
        if mapped > 0, Double(zeros) * 100 > percent * Double(mapped) {
            return Refusal(
                reason: "mass_zero_guard",
                message: "store \(store): \(zeros) of \(mapped) mapped items would be set to 0, over the "
                    + "\(Int(percent))% limit (mass_zero_percent); send again with force to do it"
            )
        }
        return nil
    }
}
