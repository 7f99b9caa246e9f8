import ShopifySyncCore
import Testing

/// The request planner as tables: lines per store, instants, summed WMS locations, duplicates, the mass-zero
/// guard and the content hash.
@Suite("Request planner")
struct RequestPlannerTests {
    static let planner = RequestPlanner(mapper: MapperTests.mapper)

    static func bulk(
        scope: BulkSync.Scope = .selected,
        store: String? = "main",
        force: Bool = false,
        asOf: String? = nil,
        _ items: [(String, String?, Int)]
    ) -> Request {
        .bulkSync(
            BulkSync(
                id: "b-1",
                store: store,
                scope: scope,
                force: force,
                asOf: asOf,
                items: items.map { BulkSync.Item(sku: $0.0, location: $0.1, onHand: $0.2) }
            )
        )
    }

    @Test(
        "the mass-zero guard: empty refused, over the percentage refused, at or under it passes",
        arguments: [
            (0, 0, 10, 50.0, true), (5, 5, 10, 50.0, false), (6, 6, 10, 50.0, true), (6, 4, 10, 50.0, false),
            (3, 0, 0, 50.0, false), (10, 1, 10, 0.0, true), (10, 10, 10, 100.0, false),
        ]
    )
    func massZeroGuard(items: Int, zeros: Int, mapped: Int, percent: Double, refused: Bool) {
        let refusal = RequestPlanner.massZeroGuard(
            store: "main",
            items: items,
            zeros: zeros,
            mapped: mapped,
            percent: percent
        )
        #expect((refusal != nil) == refused)
        #expect(refusal.map { $0.reason == "mass_zero_guard" } ?? true)
    }

    @Test("a hard sync over the guard is refused unless forced")
    func hardSyncGuard() throws {
        // main maps TEE, NOID and CAP: two of three at 0 is over 50%.
        let request = Self.bulk(scope: .all, [("TEE", "WH1", 0), ("CAP", "WH1", 0), ("NOID", "WH1", 4)])
        #expect(throws: RequestPlanner.Refusal.self) { try Self.planner.plan(request, massZeroPercent: 50) }
        let forced = Self.bulk(scope: .all, force: true, [("TEE", "WH1", 0), ("CAP", "WH1", 0), ("NOID", "WH1", 4)])
        #expect(try Self.planner.plan(forced, massZeroPercent: 50).lines.count == 3)
    }

    @Test("two WMS locations on one Shopify location share their sum; the same SKU and location twice is refused")
    func pairs() throws {
        // WH3 is not mapped in main: it falls back to the default location 9, like no location at all.
        let plan = try Self.planner.plan(
            Self.bulk([("TEE", "WH3", 5), ("TEE", nil, 3), ("TEE", "WH1", 7)]),
            massZeroPercent: 50
        )
        #expect(plan.lines.map(\.pairQuantity) == [8, 8, 7])
        #expect(plan.lines.map(\.quantity) == [5, 3, 7])
        let refusal = #expect(throws: RequestPlanner.Refusal.self) {
            try Self.planner.plan(Self.bulk([("TEE", "WH1", 5), ("TEE", "WH1", 3)]), massZeroPercent: 50)
        }
        #expect(refusal?.reason == "duplicate_item")
    }

    @Test("a line's instant: occurred_at for a movement, as_of for a snapshot, else nil (the ledger fills in)")
    func instants() throws {
        let movement = Request.movement(
            Movement(
                id: "m-1",
                type: .receipt,
                occurredAt: "2026-12-01T10:00:00Z",
                lines: [.init(sku: "TEE", location: "WH1", delta: 1)]
            )
        )
        let moved = try Self.planner.plan(movement, massZeroPercent: 50).lines
        #expect(moved.map(\.at) == [1_796_119_200, 1_796_119_200])
        let snapshot = try Self.planner.plan(
            Self.bulk(asOf: "2026-12-01T11:00:00+01:00", [("TEE", "WH1", 1)]),
            massZeroPercent: 50
        )
        #expect(snapshot.lines.map(\.at) == [1_796_119_200])
        #expect(try Self.planner.plan(Self.bulk([("TEE", "WH1", 1)]), massZeroPercent: 50).lines.map(\.at) == [nil])
    }

    @Test("the content hash follows meaning: as_of counts, and a request without it hashes as before")
    func contentHash() {
        let plain = RequestPlanner.contentHash(Self.bulk([("TEE", "WH1", 1)]))
        #expect(plain == RequestPlanner.contentHash(Self.bulk([("TEE", "WH1", 1)])))
        #expect(plain != RequestPlanner.contentHash(Self.bulk(asOf: "2026-12-01T10:00:00Z", [("TEE", "WH1", 1)])))
        #expect(plain != RequestPlanner.contentHash(Self.bulk([("TEE", "WH1", 2)])))
    }
}
