import Foundation
import ShopifySimulator
import SyncState
import Testing

@testable import ShopifySync

/// SKU lookup for catalog rows without an inventory item id, with `lookup_missing = true` (contract 4, issue 5).
@Suite(.timeLimit(.minutes(3)))
struct LookupTests {
    typealias W = EngineWorld

    static let poster = "gid://shopify/InventoryItem/1013"

    static let catalog = """
        sku,store,inventory_item_id,sync
        POSTER-A2,main,,true
        NOWHERE,main,,true
        TWIN,main,,true
        POSTER,main,,true
        CAP-BLK,main,gid://shopify/InventoryItem/1009,true

        """

    /// The `inventoryItems` lookups the simulator received, by the SKU search they carried.
    static func lookups(_ world: EngineWorld) async -> [String] {
        await world.calls("inventoryItems").map { $0.variables["query"]?.stringValue ?? "" }
    }

    @Test("a hit is applied to the item found by exact SKU, and cached: the next movement makes no lookup")
    func hitIsAppliedAndCached() async throws {
        try await withEngine(mainStore: "lookup_missing = true", catalog: Self.catalog) { world in
            let (folder, report) = try await world.run(
                "hit.json",
                movement("hit-1", "receipt", [("POSTER-A2", "WH1", 4), ("CAP-BLK", "WH1", 1)])
            )
            #expect(folder == "done")
            #expect(report.outcome == "applied")
            let line = report.lines?.first { $0.sku == "POSTER-A2" }
            #expect(line?.outcome == "applied")
            #expect(line?.inventoryItem == Self.poster)
            #expect(await world.onHand("main", Self.poster, W.main1) == 14)
            #expect(await Self.lookups(world).count == 1)
            #expect(await Self.lookups(world).first?.contains("POSTER-A2") == true)
            let cached = try world.state.cachedSKU(store: "main", sku: "POSTER-A2")
            #expect(cached?.status == .found)
            #expect(cached?.inventoryItem == Self.poster)

            _ = try await world.run("hit2.json", movement("hit-2", "adjustment", [("POSTER-A2", "WH2", -3)]))
            #expect(await world.onHand("main", Self.poster, W.main2) == 7)
            // A bulk sync of the same SKU uses the cache too.
            let (bulkFolder, _) = try await world.run(
                "hit3.json",
                "{\"kind\":\"bulk_sync\",\"id\":\"hit-3\",\"scope\":\"selected\","
                    + "\"items\":[{\"sku\":\"POSTER-A2\",\"location\":\"WH1\",\"on_hand\":2}]}"
            )
            #expect(bulkFolder == "done")
            #expect(await world.onHand("main", Self.poster, W.main1) == 2)
            #expect(await Self.lookups(world).count == 1)
        }
    }

    @Test("a miss is skipped as no_inventory_item, cached, and the rest of the movement is applied")
    func miss() async throws {
        try await withEngine(mainStore: "lookup_missing = true", catalog: Self.catalog) { world in
            let (folder, report) = try await world.run(
                "miss.json",
                movement("miss-1", "receipt", [("NOWHERE", "WH1", 4), ("CAP-BLK", "WH1", 2)])
            )
            #expect(folder == "done")
            let nowhere = report.lines?.first { $0.sku == "NOWHERE" }
            #expect(nowhere?.outcome == "skipped")
            #expect(nowhere?.reason == "no_inventory_item")
            #expect(report.lines?.first { $0.sku == "CAP-BLK" }?.outcome == "applied")
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1009", W.main1) == 12)
            #expect(try world.state.cachedSKU(store: "main", sku: "NOWHERE")?.status == .missing)
            #expect(await Self.lookups(world).count == 1)

            // Within the hour a miss is not asked again.
            let (_, again) = try await world.run("miss2.json", movement("miss-2", "receipt", [("NOWHERE", "WH1", 1)]))
            #expect(again.lines?.first?.reason == "no_inventory_item")
            #expect(await Self.lookups(world).count == 1)
        }
    }

    @Test("exact SKU only: a SKU that is a prefix of another item's SKU is a miss")
    func exactMatchOnly() async throws {
        try await withEngine(mainStore: "lookup_missing = true", catalog: Self.catalog) { world in
            let (_, report) = try await world.run("pre.json", movement("pre-1", "receipt", [("POSTER", "WH1", 4)]))
            #expect(report.lines?.first?.outcome == "skipped")
            #expect(report.lines?.first?.reason == "no_inventory_item")
            #expect(await world.onHand("main", Self.poster, W.main1) == 10)
            #expect(await world.calls("inventoryAdjustQuantities").isEmpty)
        }
    }

    @Test("an ambiguous SKU (two Shopify items) is skipped as no_inventory_item and neither item is changed")
    func ambiguous() async throws {
        try await withEngine(mainStore: "lookup_missing = true", catalog: Self.catalog) { world in
            let first = try await world.simulator.state.addItem(shop: "main", sku: "TWIN", levels: [W.main1: 10])
            let second = try await world.simulator.state.addItem(shop: "main", sku: "TWIN", levels: [W.main1: 10])
            let (folder, report) = try await world.run(
                "twin.json",
                movement("twin-1", "receipt", [("TWIN", "WH1", 4)])
            )
            #expect(folder == "done")
            let line = report.lines?.first
            #expect(line?.outcome == "skipped")
            #expect(line?.reason == "no_inventory_item")
            #expect(line?.error?.contains("several") == true)
            #expect(await world.onHand("main", first, W.main1) == 10)
            #expect(await world.onHand("main", second, W.main1) == 10)
            #expect(try world.state.cachedSKU(store: "main", sku: "TWIN")?.status == .ambiguous)
            #expect(await world.calls("inventoryAdjustQuantities").isEmpty)
        }
    }

    @Test("without lookup_missing an empty item id is skipped and Shopify is not asked")
    func lookupOff() async throws {
        try await withEngine(catalog: Self.catalog) { world in
            let (_, report) = try await world.run("off.json", movement("off-1", "receipt", [("POSTER-A2", "WH1", 4)]))
            #expect(report.lines?.first?.reason == "no_inventory_item")
            #expect(await Self.lookups(world).isEmpty)
            #expect(await world.onHand("main", Self.poster, W.main1) == 10)
        }
    }
}
