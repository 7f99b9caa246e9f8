/// The snapshot rule: how an absolute on-hand quantity taken at `as_of` meets the movements around it.
///
/// A snapshot counts every movement that occurred at or before its `as_of`, and none after. So, for one
/// (store, inventory item, location):
/// - the quantity written is the snapshot plus the movements after `as_of` that Shopify already has;
/// - a movement at or before the `as_of` of a snapshot already written is not sent (`in_snapshot`);
/// - a snapshot older than one already written is not written (`superseded`).
///
/// A movement's instant is its `occurred_at`, or when it was recorded if it has none; a snapshot's is its
/// `as_of`, or when it was recorded.
public enum SnapshotRule {
    /// What the ledger knows of one (store, item, location) when a snapshot is about to be written.
    public struct History: Sendable, Hashable {
        /// The sum of the applied movement deltas whose instant is after the snapshot's `as_of`.
        public var appliedDeltasAfterAsOf: Int
        /// The newest `as_of` of a snapshot already written (applied or found equal), if any.
        public var newestWrittenAsOf: Double?

        public init(appliedDeltasAfterAsOf: Int = 0, newestWrittenAsOf: Double? = nil) {
            self.appliedDeltasAfterAsOf = appliedDeltasAfterAsOf
            self.newestWrittenAsOf = newestWrittenAsOf
        }
    }

    /// Whether a movement at `movementAt` is already counted by a written snapshot.
    public static func isInSnapshot(movementAt: Double, newestWrittenAsOf: Double?) -> Bool {
        guard let newestWrittenAsOf else { return false }
        return movementAt <= newestWrittenAsOf
    }

    /// Whether a snapshot at `asOf` is older than one already written.
    public static func isSuperseded(asOf: Double, newestWrittenAsOf: Double?) -> Bool {
        guard let newestWrittenAsOf else { return false }
        return asOf < newestWrittenAsOf
    }

    /// The quantity to write for a snapshot of `snapshot` units.
    public static func target(snapshot: Int, history: History) -> Int {
        snapshot + history.appliedDeltasAfterAsOf
    }
}

/// One `inventorySetQuantities` call for one store and location, planned from a fresh on_hand read.
///
/// Equal items are not written, unknown and unstocked items fail, superseded snapshots are skipped, and every
/// written row compares against the value just read. The idempotency key is derived from what the call
/// carries, so the same rows and members always give the same key, and a re-read gives a new one.
public struct SetPlan: Sendable, Hashable {
    /// The snapshot lines of one request for one (item, location): written as one row.
    public struct Group: Sendable, Hashable {
        public var inventoryItemID: String
        /// The snapshot's quantity for the pair (summed over the WMS locations mapped to it).
        public var quantity: Int
        public var asOf: Double
        public var members: [LineRef]
        /// Each member's `requestID#line@generation.rereads`, for the key.
        public var memberTags: [String]

        public init(inventoryItemID: String, quantity: Int, asOf: Double, members: [LineRef], memberTags: [String]) {
            self.inventoryItemID = inventoryItemID
            self.quantity = quantity
            self.asOf = asOf
            self.members = members
            self.memberTags = memberTags
        }
    }

    /// What Shopify's read said of an item at the location.
    public enum Level: Sendable, Hashable {
        case onHand(Int)
        /// Shopify has no such inventory item.
        case unknownItem
        /// The item is not stocked at the location.
        case notStocked
    }

    /// A row to write.
    public struct Row: Sendable, Hashable {
        public var inventoryItemID: String
        public var quantity: Int
        public var changeFromQuantity: Int
        public var members: [LineRef]
    }

    /// How a group ends without a write.
    public enum Settlement: Sendable, Hashable {
        /// Shopify already holds the quantity.
        case equal(Int)
        /// A newer snapshot was written for the pair.
        case superseded
        case unknownItem
        case notStocked
    }

    /// Members that end without a write, and how.
    public struct Settled: Sendable, Hashable {
        public var members: [LineRef]
        public var settlement: Settlement
    }

    public var store: String
    public var locationID: String
    public var rows: [Row] = []
    public var settled: [Settled] = []
    /// The call's idempotency key.
    public var idempotencyKey: String

    /// Plans the call from the groups, the read, and each item's history.
    ///
    /// `staleItems` are items whose level comes from an older read (a bulk operation's result): equal to the
    /// target there is not proof that it still is, so such an item is written all the same, as a row that
    /// changes nothing and compares against the value read. Shopify refuses it as stale if the level moved;
    /// the line is then read again.
    public init(
        store: String,
        locationID: String,
        groups: [Group],
        levels: [String: Level],
        history: [String: SnapshotRule.History],
        staleItems: Set<String> = []
    ) {
        self.store = store
        self.locationID = locationID
        self.idempotencyKey = ""
        var keyParts = ["set", store, locationID]
        for group in groups {
            let past = history[group.inventoryItemID] ?? SnapshotRule.History()
            if SnapshotRule.isSuperseded(asOf: group.asOf, newestWrittenAsOf: past.newestWrittenAsOf) {
                settled.append(Settled(members: group.members, settlement: .superseded))
                continue
            }
            switch levels[group.inventoryItemID] ?? .notStocked {
            case .unknownItem:
                settled.append(Settled(members: group.members, settlement: .unknownItem))
            case .notStocked:
                settled.append(Settled(members: group.members, settlement: .notStocked))
            case .onHand(let current):
                let target = SnapshotRule.target(snapshot: group.quantity, history: past)
                if current == target && !staleItems.contains(group.inventoryItemID) {
                    settled.append(Settled(members: group.members, settlement: .equal(current)))
                    continue
                }
                rows.append(
                    Row(
                        inventoryItemID: group.inventoryItemID,
                        quantity: target,
                        changeFromQuantity: current,
                        members: group.members
                    )
                )
                keyParts.append("\(group.inventoryItemID)|\(target)|\(current)")
                keyParts += group.memberTags
            }
        }
        idempotencyKey = StableHash.key(keyParts)
    }
}
