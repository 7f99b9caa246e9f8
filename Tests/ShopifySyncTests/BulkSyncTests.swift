import Foundation
import ShopifySimulator
import Testing

@testable import ShopifySync

/// bulk_sync requests (contract 3.2) end to end: absolute on_hand set with compare-and-set, equal items left
/// alone, the hard sync's mass-zero guard, the missing-from-snapshot report, and live work overtaking a hard sync.
@Suite(.timeLimit(.minutes(3)))
struct BulkSyncTests {
    typealias W = EngineWorld

    static let teeRedM = "gid://shopify/InventoryItem/1002"
    static let teeRedS = "gid://shopify/InventoryItem/1001"
    static let capBlk = "gid://shopify/InventoryItem/1009"
    static let sock = "gid://shopify/InventoryItem/1011"
    static let hoodie = "gid://shopify/InventoryItem/1007"
    static let teeRedMAU = "gid://shopify/InventoryItem/2002"
    static let bottleAU = "gid://shopify/InventoryItem/2001"

    /// A bulk_sync request's JSON.
    static func bulk(
        _ id: String,
        store: String? = nil,
        scope: String = "selected",
        force: Bool = false,
        _ items: [(String, String?, Int)]
    ) -> String {
        let itemText = items.map { sku, location, onHand in
            "{\"sku\":\"\(sku)\"" + (location.map { ",\"location\":\"\($0)\"" } ?? "") + ",\"on_hand\":\(onHand)}"
        }
        let storeText = store.map { "\"store\":\"\($0)\"," } ?? ""
        return "{\"kind\":\"bulk_sync\",\"id\":\"\(id)\",\(storeText)\"scope\":\"\(scope)\",\"force\":\(force),"
            + "\"items\":[" + itemText.joined(separator: ",") + "]}"
    }

    /// The rows of every `inventorySetQuantities` call the simulator received: (shop, item, quantity, changeFrom).
    static func setRows(_ world: EngineWorld) async -> [(shop: String, item: String, quantity: Int, from: Int?)] {
        await world.calls("inventorySetQuantities").flatMap { call in
            (call.variables["input"]?["quantities"]?.arrayValue ?? []).map {
                (
                    call.shop, $0["inventoryItemId"]?.stringValue ?? "", $0["quantity"]?.intValue ?? -1,
                    $0["changeFromQuantity"]?.intValue
                )
            }
        }
    }

    // MARK: - Selected

    @Test("selected items are set to their absolute on_hand in every store they map to; equal items are not written")
    func selected() async throws {
        try await withEngine { world in
            let (folder, report) = try await world.run(
                "sel.json",
                Self.bulk(
                    "bulk-sel-1",
                    [
                        ("TEE-RED-S", "WH1", 25), ("CAP-BLK", "WH2", 10), ("HOODIE-GRY-M", "WH1", 0),
                        ("TEE-RED-M", "WH1", 7), ("NOPE", "WH1", 3), ("MUG-01", "WH1", 3),
                    ]
                )
            )
            #expect(folder == "done")
            #expect(report.outcome == "applied")
            #expect(report.kind == "bulk_sync")
            #expect(await world.onHand("main", Self.teeRedS, W.main1) == 25)
            #expect(await world.onHand("main", Self.capBlk, W.main2) == 10)
            #expect(await world.onHand("main", Self.hoodie, W.main1) == 0)
            #expect(await world.onHand("main", Self.teeRedM, W.main1) == 7)
            #expect(await world.onHand("au", Self.teeRedMAU, W.au1) == 7)
            // Other locations were not touched.
            #expect(await world.onHand("main", Self.teeRedS, W.main2) == 10)

            // Written: four rows (three in main, one in au), each compare-and-set against the 10 read before;
            // the equal item was never written.
            let rows = await Self.setRows(world)
            #expect(rows.count == 4)
            #expect(!rows.contains { $0.item == Self.capBlk })
            #expect(rows.allSatisfy { $0.from == 10 })
            let names = await world.calls("inventorySetQuantities").compactMap {
                $0.variables["input"]?["name"]?.stringValue
            }
            #expect(Set(names) == ["on_hand"])
            #expect(await world.calls("inventorySetQuantities").allSatisfy { $0.idempotencyKey != nil })

            // The report lists every item: before and after, or why it was skipped.
            let lines = report.lines ?? []
            #expect(lines.count == 7)
            func line(_ sku: String, _ store: String? = "main") -> RequestReport.Line? {
                lines.first { $0.sku == sku && $0.store == store }
            }
            #expect(line("TEE-RED-S")?.outcome == "applied")
            #expect(line("TEE-RED-S")?.before == 10)
            #expect(line("TEE-RED-S")?.after == 25)
            #expect(line("HOODIE-GRY-M")?.after == 0)
            #expect(line("TEE-RED-M", "au")?.outcome == "applied")
            #expect(line("TEE-RED-M", "au")?.after == 7)
            #expect(line("CAP-BLK")?.outcome == "skipped")
            #expect(line("CAP-BLK")?.reason == "equal")
            #expect(line("CAP-BLK")?.before == 10)
            #expect(line("CAP-BLK")?.after == 10)
            #expect(line("NOPE", nil)?.reason == "no_inventory_item")
            #expect(line("MUG-01")?.reason == "excluded")
            #expect(report.counts?["applied"] == 4)
            #expect(report.counts?["equal"] == 1)
            #expect(report.counts?["skipped"] == 2)

            // The same quantities again: everything is equal now, so nothing is written.
            let before = await world.calls("inventorySetQuantities").count
            let (_, again) = try await world.run(
                "sel2.json",
                Self.bulk("bulk-sel-2", [("TEE-RED-S", "WH1", 25), ("TEE-RED-M", "WH1", 7)])
            )
            #expect(again.counts?["equal"] == 3)
            #expect(await world.calls("inventorySetQuantities").count == before)
        }
    }

    @Test("store narrows a bulk sync to one store")
    func oneStore() async throws {
        try await withEngine { world in
            let (folder, report) = try await world.run(
                "one.json",
                Self.bulk("bulk-one", store: "au", [("TEE-RED-M", "WH1", 4), ("BOTTLE-750", nil, 2)])
            )
            #expect(folder == "done")
            #expect(report.lines?.allSatisfy { $0.store == "au" && $0.outcome == "applied" } == true)
            #expect(await world.onHand("au", Self.teeRedMAU, W.au1) == 4)
            #expect(await world.onHand("au", Self.bottleAU, W.au1) == 2)
            #expect(await world.onHand("main", Self.teeRedM, W.main1) == 10)
        }
    }

    @Test("an item not stocked at its location fails with ITEM_NOT_STOCKED_AT_LOCATION; the rest is applied")
    func notStocked() async throws {
        try await withEngine { world in
            try await world.simulator.state.unstock(shop: "main", item: Self.capBlk, location: W.main2)
            let (folder, report) = try await world.run(
                "ns.json",
                Self.bulk("bulk-ns", store: "main", [("CAP-BLK", "WH2", 5), ("TEE-RED-S", "WH1", 3)])
            )
            #expect(folder == "failed")
            #expect(report.outcome == "partial")
            let cap = report.lines?.first { $0.sku == "CAP-BLK" }
            #expect(cap?.outcome == "failed")
            #expect(cap?.errorCode == "ITEM_NOT_STOCKED_AT_LOCATION")
            #expect(report.lines?.first { $0.sku == "TEE-RED-S" }?.outcome == "applied")
            #expect(await world.onHand("main", Self.teeRedS, W.main1) == 3)
            // Not stocked by the sync either.
            #expect(await world.simulator.state.quantities(shop: "main", item: Self.capBlk, location: W.main2) == nil)
        }
    }

    @Test("a level that changes between the read and the write is re-read and set again against the new value")
    func staleCompareIsRetried() async throws {
        try await withEngine { world in
            // Every answer takes a second, so the level can be changed after the read was answered and before the
            // write is handled.
            await world.simulator.state.updateFaults { $0.latencyMs = 1_000 }
            try world.drop("stale.json", Self.bulk("bulk-stale", store: "main", [("TEE-RED-S", "WH1", 25)]))
            let deadline = ContinuousClock.now + .seconds(30)
            while await world.calls("nodes").isEmpty && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            try await world.simulator.state.setLevel(
                shop: "main",
                item: Self.teeRedS,
                location: W.main1,
                available: 30,
                onHand: 30
            )
            await world.simulator.state.updateFaults { $0.latencyMs = 0 }
            try await world.waitFinished(["stale.json"])
            let (folder, report) = try world.report("stale.json")
            #expect(folder == "done")
            #expect(await world.onHand("main", Self.teeRedS, W.main1) == 25)

            let sets = await world.calls("inventorySetQuantities")
            #expect(sets.count == 2)
            #expect(sets.first?.outcome == .refused)
            #expect(sets.first?.detail?.contains("CHANGE_FROM_QUANTITY_STALE") == true)
            #expect(sets.last?.outcome == .applied)
            #expect(Set(sets.compactMap(\.idempotencyKey)).count == 2)
            #expect(await Self.setRows(world).map(\.from) == [10, 30])
            #expect(await world.calls("nodes").count == 2)
            let line = report.lines?.first
            #expect(line?.outcome == "applied")
            #expect(line?.before == 30)
            #expect(line?.after == 25)
        }
    }

    // MARK: - Hard sync

    @Test("hard sync: more than half of a store's mapped items set to 0 is refused unless forced")
    func massZeroGuard() async throws {
        try await withEngine { world in
            // main maps 7 SKUs (MUG-01 is excluded); 4 of them to 0 is 57%.
            let items: [(String, String?, Int)] = [
                ("TEE-RED-M", "WH1", 0), ("TEE-RED-S", "WH1", 0), ("CAP-BLK", "WH1", 0), ("SOCK-3PK", "WH1", 0),
                ("HOODIE-GRY-M", "WH1", 5),
            ]
            let (folder, report) = try await world.run(
                "zero.json",
                Self.bulk("hard-zero", store: "main", scope: "all", items)
            )
            #expect(folder == "failed")
            #expect(report.outcome == "refused")
            #expect(report.reason == "mass_zero_guard")
            #expect(await world.calls("inventorySetQuantities").isEmpty)
            #expect(await world.calls("nodes").isEmpty)
            #expect(await world.onHand("main", Self.teeRedM, W.main1) == 10)

            // An empty hard sync is refused too.
            let (emptyFolder, empty) = try await world.run(
                "empty.json",
                Self.bulk("hard-empty", store: "main", scope: "all", [])
            )
            #expect(emptyFolder == "failed")
            #expect(empty.reason == "mass_zero_guard")

            // Forced, the same snapshot runs.
            let (forcedFolder, forced) = try await world.run(
                "forced.json",
                Self.bulk("hard-zero-forced", store: "main", scope: "all", force: true, items)
            )
            #expect(forcedFolder == "done")
            #expect(forced.outcome == "applied")
            for item in [Self.teeRedM, Self.teeRedS, Self.capBlk, Self.sock] {
                #expect(await world.onHand("main", item, W.main1) == 0)
            }
            #expect(await world.onHand("main", Self.hoodie, W.main1) == 5)
            // Only store main was named: au keeps its level.
            #expect(await world.onHand("au", Self.teeRedMAU, W.au1) == 10)
            #expect(Set(forced.missingFromSnapshot?["main"] ?? []) == ["POSTER-A2", "GHOST"])

            // Forced and empty: runs, writes nothing, and reports every mapped SKU as missing.
            let writes = await world.calls("inventorySetQuantities").count
            let (forcedEmptyFolder, forcedEmpty) = try await world.run(
                "forced-empty.json",
                Self.bulk("hard-empty-forced", store: "main", scope: "all", force: true, [])
            )
            #expect(forcedEmptyFolder == "done")
            #expect(forcedEmpty.missingFromSnapshot?["main"]?.count == 7)
            #expect(await world.calls("inventorySetQuantities").count == writes)
            #expect(await world.onHand("main", Self.hoodie, W.main1) == 5)
        }
    }

    @Test("hard sync: at or under the limit of zeros it runs without force")
    func underTheLimit() async throws {
        try await withEngine { world in
            // 3 of 7 mapped items to 0 is 43%.
            let (folder, report) = try await world.run(
                "under.json",
                Self.bulk(
                    "hard-under",
                    store: "main",
                    scope: "all",
                    [
                        ("TEE-RED-M", "WH1", 0), ("TEE-RED-S", "WH1", 0), ("CAP-BLK", "WH1", 0), ("SOCK-3PK", "WH1", 4),
                        ("HOODIE-GRY-M", "WH1", 5),
                    ]
                )
            )
            #expect(folder == "done")
            #expect(report.outcome == "applied")
            #expect(await world.onHand("main", Self.capBlk, W.main1) == 0)
            #expect(await world.onHand("main", Self.sock, W.main1) == 4)
        }
    }

    @Test("hard sync: the guard counts items, not item-locations (3 of 7 items at 0 in two locations is under 50%)")
    func guardCountsItemsNotLevels() async throws {
        try await withEngine { world in
            var items: [(String, String?, Int)] = []
            for sku in ["TEE-RED-M", "TEE-RED-S", "CAP-BLK"] { items += [(sku, "WH1", 0), (sku, "WH2", 0)] }
            for sku in ["SOCK-3PK", "HOODIE-GRY-M"] { items += [(sku, "WH1", 5), (sku, "WH2", 5)] }
            let (folder, report) = try await world.run(
                "levels.json",
                Self.bulk("hard-levels", store: "main", scope: "all", items)
            )
            // 3 of the store's 7 mapped items would be 0 (43%, or 6 of 14 item-locations): under the 50% limit.
            #expect(folder == "done", "\(report.reason ?? ""): \(report.message ?? "")")
            #expect(await world.onHand("main", Self.capBlk, W.main2) == 0)
        }
    }

    @Test("hard sync: mapped SKUs missing from the snapshot are reported and never zeroed")
    func missingFromSnapshot() async throws {
        try await withEngine { world in
            let (folder, report) = try await world.run(
                "snap.json",
                Self.bulk("hard-snap", scope: "all", [("TEE-RED-S", "WH1", 4), ("CAP-BLK", "WH1", 6)])
            )
            #expect(folder == "done")
            #expect(report.outcome == "applied")
            #expect(await world.onHand("main", Self.teeRedS, W.main1) == 4)
            #expect(await world.onHand("main", Self.capBlk, W.main1) == 6)
            #expect(
                Set(report.missingFromSnapshot?["main"] ?? [])
                    == ["TEE-RED-M", "SOCK-3PK", "HOODIE-GRY-M", "POSTER-A2", "GHOST"]
            )
            #expect(Set(report.missingFromSnapshot?["au"] ?? []) == ["TEE-RED-M", "BOTTLE-750"])
            for (shop, item, location) in [
                ("main", Self.teeRedM, W.main1), ("main", Self.teeRedM, W.main2), ("main", Self.sock, W.main1),
                ("main", Self.hoodie, W.main1), ("au", Self.teeRedMAU, W.au1), ("au", Self.bottleAU, W.au1),
            ] {
                #expect(await world.onHand(shop, item, location) == 10, "\(shop) \(item)")
            }
            let written = Set(await Self.setRows(world).map(\.item))
            #expect(written == [Self.teeRedS, Self.capBlk])
        }
    }

    // MARK: - Live work first

    @Test("a movement dropped while a large hard sync runs reaches Shopify before the hard sync finishes")
    func liveWorkFirst() async throws {
        let count = 3_000
        let firstItem = 700_000
        var catalog = "sku,store,inventory_item_id,sync\nTEE-RED-S,main,gid://shopify/InventoryItem/1001,true\n"
        for index in 0..<count {
            catalog += "BULK-\(index),main,gid://shopify/InventoryItem/\(firstItem + index),true\n"
        }
        try await withEngine(catalog: catalog) { world in
            for index in 0..<count {
                try await world.simulator.state.addItem(
                    SimulatorItem(
                        id: "gid://shopify/InventoryItem/\(firstItem + index)",
                        sku: "BULK-\(index)",
                        levels: [W.main1: 10]
                    ),
                    shop: "main"
                )
            }
            let items = (0..<count).map { ("BULK-\($0)", Optional("WH1"), 20 + $0 % 7) }
            try world.drop("hard.json", Self.bulk("hard-big", store: "main", scope: "all", items))
            // Wait until the hard sync is writing, then drop a movement.
            let deadline = ContinuousClock.now + .seconds(60)
            while await world.calls("inventorySetQuantities").isEmpty && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            let dropped = ContinuousClock.now
            try world.drop("live.json", movement("live-1", "receipt", [("TEE-RED-S", "WH1", 5)]))
            try await world.waitFinished(["live.json"], timeout: .seconds(60))
            let took = dropped.duration(to: .now)
            let seconds = Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
            print(
                "movement applied \(String(format: "%.2f", seconds)) s after drop while a \(count)-item hard sync ran"
            )
            let hardStillRunning = ["done", "failed"].allSatisfy {
                !FileManager.default.fileExists(atPath: "\(world.directory)/spool/\($0)/hard.json")
            }
            #expect(hardStillRunning, "the hard sync finished before the movement")
            #expect(try world.report("live.json").report.outcome == "applied")
            #expect(await world.onHand("main", Self.teeRedS, W.main1) == 15)

            try await world.waitFinished(["hard.json"], timeout: .seconds(150))
            let (folder, report) = try world.report("hard.json")
            #expect(folder == "done")
            #expect(report.counts?["applied"] == count)
            #expect(report.missingFromSnapshot?["main"] == ["TEE-RED-S"])
            #expect(await Self.setRows(world).count == count)
            #expect(
                await world.onHand("main", "gid://shopify/InventoryItem/\(firstItem + count - 1)", W.main1) == 20
                    + (count - 1) % 7
            )
            // The movement was not lost to the hard sync: TEE-RED-S is not in the snapshot, so it keeps 15.
            #expect(await world.onHand("main", Self.teeRedS, W.main1) == 15)
        }
    }
}
