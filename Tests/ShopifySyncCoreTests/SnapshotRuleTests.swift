import ShopifySyncCore
import Testing

/// The snapshot rule and the set plan as tables: no I/O, no clock.
@Suite("The snapshot rule and set planning")
struct SnapshotRuleTests {
    static let asOf = RFC3339.instant("2026-12-01T10:00:00Z")!

    @Test(
        "RFC 3339 instants, offsets and fractions included",
        arguments: [
            ("1970-01-01T00:00:00Z", 0.0),
            ("2026-12-01T10:00:00Z", 1_796_119_200.0),
            ("2026-12-01T12:00:00+02:00", 1_796_119_200.0),
            ("2026-12-01T05:30:00-04:30", 1_796_119_200.0),
            ("2026-12-01T10:00:00.25Z", 1_796_119_200.25),
            ("2000-02-29T00:00:00Z", 951_782_400.0),
            ("1969-12-31T23:59:59Z", -1.0),
        ]
    )
    func instants(text: String, seconds: Double) {
        #expect(RFC3339.instant(text) == seconds)
    }

    @Test("a text that is not RFC 3339 has no instant", arguments: ["2026-12-01", "2026-13-01T00:00:00Z", "yesterday"])
    func noInstant(text: String) {
        #expect(RFC3339.instant(text) == nil)
    }

    @Test(
        "a movement at or before a written snapshot's as_of is in it; after, or with none written, it is not",
        arguments: [
            (asOf - 60, Optional(asOf), true),
            (asOf, Optional(asOf), true),
            (asOf + 0.001, Optional(asOf), false),
            (asOf - 60, nil, false),
        ]
    )
    func inSnapshot(movementAt: Double, written: Double?, expected: Bool) {
        #expect(SnapshotRule.isInSnapshot(movementAt: movementAt, newestWrittenAsOf: written) == expected)
    }

    @Test(
        "a snapshot older than one written is superseded; the same or a newer one is not",
        arguments: [(asOf - 1, Optional(asOf), true), (asOf, Optional(asOf), false), (asOf + 1, Optional(asOf), false)]
            + [(asOf, nil, false)]
    )
    func superseded(snapshotAsOf: Double, written: Double?, expected: Bool) {
        #expect(SnapshotRule.isSuperseded(asOf: snapshotAsOf, newestWrittenAsOf: written) == expected)
    }

    static func group(_ item: String, _ quantity: Int, members: Int = 1) -> SetPlan.Group {
        let refs = (0..<members).map { LineRef(requestID: "bulk-1", line: $0, store: "main") }
        return SetPlan.Group(
            inventoryItemID: item,
            quantity: quantity,
            asOf: asOf,
            members: refs,
            memberTags: refs.map { "\($0.requestID)#\($0.line)@0.0" }
        )
    }

    @Test("the written quantity is the snapshot plus the applied movements after as_of, compared to the read")
    func targetOnTopOfMovements() {
        let plan = SetPlan(
            store: "main",
            locationID: "L1",
            groups: [Self.group("A", 50), Self.group("B", 8, members: 2)],
            levels: ["A": .onHand(55), "B": .onHand(3)],
            history: ["A": .init(appliedDeltasAfterAsOf: 5), "B": .init(appliedDeltasAfterAsOf: -2)]
        )
        // A: 50 + 5 = 55 is what Shopify already has: equal, not written. B: 8 - 2 = 6 over 3.
        #expect(plan.rows.map(\.inventoryItemID) == ["B"])
        #expect(plan.rows.first?.quantity == 6)
        #expect(plan.rows.first?.changeFromQuantity == 3)
        #expect(plan.rows.first?.members.count == 2)
        #expect(plan.settled.map(\.settlement) == [.equal(55)])
    }

    @Test("an item read by an older bulk read is written even when equal: a row that changes nothing, compared")
    func staleEqualIsVerified() {
        let plan = SetPlan(
            store: "main",
            locationID: "L1",
            groups: [Self.group("A", 50), Self.group("B", 8)],
            levels: ["A": .onHand(50), "B": .onHand(8)],
            history: [:],
            staleItems: ["A"]
        )
        #expect(plan.rows.map(\.inventoryItemID) == ["A"])
        #expect(plan.rows.first?.quantity == 50)
        #expect(plan.rows.first?.changeFromQuantity == 50)
        #expect(plan.settled.map(\.settlement) == [.equal(8)])
        // Applied, such a row changed nothing: its lines end as equal.
        #expect(Settlement.Figures(before: 50, after: 50).isUnchanged)
        #expect(!Settlement.Figures(before: 50, after: 51).isUnchanged)
        #expect(!Settlement.Figures(before: nil, after: nil).isUnchanged)
    }

    @Test("unknown, not stocked and superseded items end without a write; nothing to write still has a key")
    func settledWithoutWrite() {
        let plan = SetPlan(
            store: "main",
            locationID: "L1",
            groups: [Self.group("U", 1), Self.group("N", 2), Self.group("S", 3)],
            levels: ["U": .unknownItem, "S": .onHand(0)],
            history: ["S": .init(newestWrittenAsOf: Self.asOf + 3_600)]
        )
        #expect(plan.rows.isEmpty)
        #expect(plan.settled.map(\.settlement) == [.unknownItem, .notStocked, .superseded])
    }

    @Test("the key is the same for the same rows and members, and changes with the read, target or a re-read")
    func keys() {
        func key(current: Int = 3, quantity: Int = 8, tag: String = "bulk-1#0@0.0") -> String {
            var group = Self.group("B", quantity)
            group.memberTags = [tag]
            return SetPlan(
                store: "main",
                locationID: "L1",
                groups: [group],
                levels: ["B": .onHand(current)],
                history: [:]
            ).idempotencyKey
        }
        #expect(key() == key())
        #expect(key() != key(current: 4))
        #expect(key() != key(quantity: 9))
        #expect(key() != key(tag: "bulk-1#0@0.1"))
    }
}
