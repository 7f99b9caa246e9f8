import Foundation
import Logging
import Testing

@testable import ShopifySync

/// The snapshot rule end to end: bulk syncs and movements on the same item, in every order and on either side
/// of `as_of`, end at exactly what the warehouse holds.
@Suite(.timeLimit(.minutes(3)))
struct SnapshotEngineTests {
    typealias W = EngineWorld
    static let teeRedS = BulkSyncTests.teeRedS
    static let asOf = "2026-12-01T10:00:00Z"

    static func movement(_ id: String, occurredAt: String?, sku: String = "TEE-RED-S", _ delta: Int) -> String {
        let occurred = occurredAt.map { ",\"occurred_at\":\"\($0)\"" } ?? ""
        return "{\"kind\":\"movement\",\"id\":\"\(id)\",\"movement_type\":\"adjustment\"\(occurred),"
            + "\"lines\":[{\"sku\":\"\(sku)\",\"location\":\"WH1\",\"delta\":\(delta)}]}"
    }

    static func bulk(_ id: String, asOf: String?, _ items: [(String, String, Int)]) -> String {
        let asOfText = asOf.map { ",\"as_of\":\"\($0)\"" } ?? ""
        let itemText = items.map { "{\"sku\":\"\($0.0)\",\"location\":\"\($0.1)\",\"on_hand\":\($0.2)}" }
        return "{\"kind\":\"bulk_sync\",\"id\":\"\(id)\",\"store\":\"main\",\"scope\":\"selected\"\(asOfText),"
            + "\"items\":[\(itemText.joined(separator: ","))]}"
    }

    static func line(_ report: RequestReport) -> RequestReport.Line? { report.lines?.first }

    @Test("movements before and after as_of, applied before the snapshot or arriving after it, end exact")
    func movementsAroundASnapshot() async throws {
        try await withEngine { world in
            // Shopify starts at 10. Before the snapshot is written: one movement after as_of, one before.
            _ = try await world.run("after.json", Self.movement("m-after", occurredAt: "2026-12-01T10:05:00Z", 5))
            _ = try await world.run("before.json", Self.movement("m-before", occurredAt: "2026-12-01T09:55:00Z", 3))
            #expect(await world.onHand("main", Self.teeRedS, W.main1) == 18)

            // The WMS counted 50 at 10:00; the +5 of 10:05 is on top of it, the +3 of 09:55 is in it.
            let (folder, snapshot) = try await world.run(
                "snap.json",
                Self.bulk("snap-1", asOf: Self.asOf, [("TEE-RED-S", "WH1", 50)])
            )
            #expect(folder == "done")
            #expect(Self.line(snapshot)?.outcome == "applied")
            #expect(Self.line(snapshot)?.after == 55)
            #expect(await world.onHand("main", Self.teeRedS, W.main1) == 55)

            // A movement of 09:58 that reaches the daemon late is already in the snapshot: not sent.
            let (lateFolder, late) = try await world.run(
                "late.json",
                Self.movement("m-late", occurredAt: "2026-12-01T09:58:00Z", 7)
            )
            #expect(lateFolder == "done")
            #expect(Self.line(late)?.outcome == "skipped")
            #expect(Self.line(late)?.reason == "in_snapshot")
            #expect(await world.onHand("main", Self.teeRedS, W.main1) == 55)

            // After as_of, with and without occurred_at (recorded now, long after as_of): deltas on top.
            _ = try await world.run("later.json", Self.movement("m-later", occurredAt: "2026-12-01T10:10:00Z", 2))
            _ = try await world.run("now.json", Self.movement("m-now", occurredAt: nil, 1))
            #expect(await world.onHand("main", Self.teeRedS, W.main1) == 58)

            // An older snapshot (a requeued or late bulk sync) never overwrites a newer one.
            let (_, old) = try await world.run(
                "old.json",
                Self.bulk("snap-old", asOf: "2026-12-01T09:00:00Z", [("TEE-RED-S", "WH1", 1)])
            )
            #expect(Self.line(old)?.reason == "superseded")
            #expect(await world.onHand("main", Self.teeRedS, W.main1) == 58)

            // A snapshot taken now (no as_of: when it is recorded) counts every movement so far.
            let (_, fresh) = try await world.run(
                "fresh.json",
                Self.bulk("snap-now", asOf: nil, [("TEE-RED-S", "WH1", 100)])
            )
            #expect(Self.line(fresh)?.after == 100)
            #expect(await world.onHand("main", Self.teeRedS, W.main1) == 100)
            // And a movement from before it, arriving after it, is in it.
            let (_, stale) = try await world.run(
                "stale.json",
                Self.movement("m-stale", occurredAt: "2026-12-02T00:00:00Z", 4)
            )
            #expect(Self.line(stale)?.reason == "in_snapshot")
            #expect(await world.onHand("main", Self.teeRedS, W.main1) == 100)
        }
    }

    @Test("a movement dropped while a hard sync is being written is kept on top of the snapshot")
    func movementDuringHardSync() async throws {
        let count = 1_500
        let firstItem = 800_000
        var catalog = "sku,store,inventory_item_id,sync\nTEE-RED-S,main,gid://shopify/InventoryItem/1001,true\n"
        for index in 0..<count {
            catalog += "HS-\(index),main,gid://shopify/InventoryItem/\(firstItem + index),true\n"
        }
        try await withEngine(catalog: catalog) { world in
            for index in 0..<count {
                try await world.simulator.state.addItem(
                    .init(
                        id: "gid://shopify/InventoryItem/\(firstItem + index)",
                        sku: "HS-\(index)",
                        levels: [W.main1: 10]
                    ),
                    shop: "main"
                )
            }
            // The last item of the snapshot is the one that moves: it is written last.
            let moving = "gid://shopify/InventoryItem/\(firstItem + count - 1)"
            let items = (0..<count).map { ("HS-\($0)", "WH1", 50) }
            try world.drop("hard.json", Self.bulk("hard-1", asOf: nil, items))
            let deadline = ContinuousClock.now + .seconds(60)
            while await world.calls("inventorySetQuantities").isEmpty && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            try world.drop("receipt.json", Self.movement("r-1", occurredAt: nil, sku: "HS-\(count - 1)", 5))
            try await world.waitFinished(["receipt.json", "hard.json"], timeout: .seconds(120))
            #expect(try world.report("hard.json").folder == "done")
            #expect(await world.onHand("main", moving, W.main1) == 55, "the receipt was erased by the hard sync")
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/\(firstItem)", W.main1) == 50)
        }
    }

    @Test("two WMS locations on one Shopify location add up; the same SKU and location twice is refused")
    func wmsLocationsAddUp() async throws {
        try await withEngine { world in
            // WHX is not mapped: it falls back to the store's default location, the same as WH1.
            let (folder, report) = try await world.run(
                "sum.json",
                Self.bulk("sum-1", asOf: nil, [("TEE-RED-S", "WH1", 5), ("TEE-RED-S", "WHX", 3)])
            )
            #expect(folder == "done")
            #expect(await world.onHand("main", Self.teeRedS, W.main1) == 8)
            #expect(report.lines?.allSatisfy { $0.outcome == "applied" && $0.after == 8 } == true)
            #expect(await BulkSyncTests.setRows(world).count == 1)

            let (dupFolder, duplicate) = try await world.run(
                "dup.json",
                Self.bulk(
                    "dup-1",
                    asOf: nil,
                    [("TEE-RED-S", "WH1", 5), ("CAP-BLK", "WH1", 1), ("TEE-RED-S", "WH1", 3)]
                )
            )
            #expect(dupFolder == "failed")
            #expect(duplicate.reason == "duplicate_item")
            #expect(duplicate.message?.contains("items[2]") == true)
            #expect(await world.onHand("main", Self.teeRedS, W.main1) == 8)

            // drift sums the same way: 5 + 3 = 8 is no drift at the Shopify location.
            let csv = "\(world.directory)/snapshot.csv"
            try "sku,location,on_hand\nTEE-RED-S,WH1,5\nTEE-RED-S,WHX,3\n".write(
                toFile: csv,
                atomically: true,
                encoding: .utf8
            )
            var output: [String] = []
            var logger = Logger(label: "drift")
            logger.logLevel = .critical
            let commands = OperatorCommands(configPath: world.configPath, environment: [:], logger: logger)
            try await commands.drift(csv: csv, store: "main", json: false) { output.append($0) }
            #expect(output.last?.contains("compared 1: equal 1, differing 0") == true, "\(output)")
        }
    }
}
