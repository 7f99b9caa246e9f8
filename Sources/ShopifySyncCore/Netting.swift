/// Identifies one request line in one store: the unit that is applied exactly once.
public struct LineRef: Sendable, Hashable, Codable, Comparable {
    public var requestID: String
    public var line: Int
    public var store: String

    public init(requestID: String, line: Int, store: String) {
        self.requestID = requestID
        self.line = line
        self.store = store
    }

    public static func < (lhs: LineRef, rhs: LineRef) -> Bool {
        (lhs.requestID, lhs.line, lhs.store) < (rhs.requestID, rhs.line, rhs.store)
    }
}

/// A delta waiting to be sent to one store.
public struct PendingDelta: Sendable, Hashable {
    public var ref: LineRef
    public var inventoryItemID: String
    public var locationID: String
    public var delta: Int
    /// The Shopify reason of the line's movement type.
    public var reason: String
    /// Raised each time the line is requeued, so a resent line gets a fresh idempotency key.
    public var generation: Int

    public init(
        ref: LineRef,
        inventoryItemID: String,
        locationID: String,
        delta: Int,
        reason: String,
        generation: Int = 0
    ) {
        self.ref = ref
        self.inventoryItemID = inventoryItemID
        self.locationID = locationID
        self.delta = delta
        self.reason = reason
        self.generation = generation
    }
}

/// One (item, location) row of a call: the net of its member lines.
public struct NetRow: Sendable, Hashable {
    public var inventoryItemID: String
    public var locationID: String
    public var delta: Int
    public var members: [LineRef]
}

/// The rows of one call to one store under one reason, at most ``Netting/maxRows`` of them.
public struct DeltaBatch: Sendable, Hashable {
    public var store: String
    public var reason: String
    /// Nonzero rows, one per (item, location).
    public var rows: [NetRow]
    /// Lines whose rows netted to zero: applied without a call.
    public var nettedToZero: [LineRef]
    /// Every member's generation, for the idempotency key.
    public var generations: [LineRef: Int]

    /// Every line the batch settles.
    public var members: [LineRef] { rows.flatMap(\.members) + nettedToZero }

    /// The deterministic idempotency key of this call: the same rows and members always give the same key.
    public var idempotencyKey: String {
        var parts = ["adjust", store, reason]
        for row in rows {
            parts.append("\(row.inventoryItemID)|\(row.locationID)|\(row.delta)")
            for member in row.members {
                parts.append("\(member.requestID)#\(member.line)@\(generations[member] ?? 0)")
            }
        }
        return StableHash.key(parts)
    }
}

/// Nets deltas per (store, item, location) and cuts them into calls of at most 250 rows.
public enum Netting {
    /// Shopify's limit on rows in one inventory call.
    public static let maxRows = 250

    /// Groups `deltas` by store and reason, nets each (item, location), drops net zero, and batches.
    ///
    /// Deltas keep their input order within a batch; every input line is in exactly one batch.
    public static func batches(_ deltas: [PendingDelta], maxRows: Int = Netting.maxRows) -> [DeltaBatch] {
        struct GroupKey: Hashable {
            var store: String
            var reason: String
        }
        struct RowKey: Hashable {
            var item: String
            var location: String
        }
        var groupOrder: [GroupKey] = []
        var groups: [GroupKey: (order: [RowKey], rows: [RowKey: NetRow])] = [:]
        var generations: [LineRef: Int] = [:]
        for delta in deltas {
            generations[delta.ref] = delta.generation
            let groupKey = GroupKey(store: delta.ref.store, reason: delta.reason)
            if groups[groupKey] == nil {
                groupOrder.append(groupKey)
                groups[groupKey] = ([], [:])
            }
            let rowKey = RowKey(item: delta.inventoryItemID, location: delta.locationID)
            if var row = groups[groupKey]?.rows[rowKey] {
                row.delta += delta.delta
                row.members.append(delta.ref)
                groups[groupKey]?.rows[rowKey] = row
            } else {
                groups[groupKey]?.order.append(rowKey)
                groups[groupKey]?.rows[rowKey] = NetRow(
                    inventoryItemID: delta.inventoryItemID,
                    locationID: delta.locationID,
                    delta: delta.delta,
                    members: [delta.ref]
                )
            }
        }
        var result: [DeltaBatch] = []
        for groupKey in groupOrder {
            guard let group = groups[groupKey] else { continue }
            var rows: [NetRow] = []
            var zero: [LineRef] = []
            for rowKey in group.order {
                guard let row = group.rows[rowKey] else { continue }
                if row.delta == 0 { zero += row.members } else { rows.append(row) }
            }
            var start = 0
            repeat {
                let end = min(start + maxRows, rows.count)
                let slice = Array(rows[start..<end])
                let settled = start == 0 ? zero : []
                let members = slice.flatMap(\.members) + settled
                result.append(
                    DeltaBatch(
                        store: groupKey.store,
                        reason: groupKey.reason,
                        rows: slice,
                        nettedToZero: settled,
                        generations: generations.filter { members.contains($0.key) }
                    )
                )
                start = end
            } while start < rows.count
        }
        return result
    }
}
