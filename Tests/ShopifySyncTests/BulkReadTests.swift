import Foundation
import ShopifyAPI
import ShopifySimulator
import Testing

@testable import ShopifySync

/// Large bulk and hard syncs read on_hand through one Shopify bulk operation (the simulator models it), fall
/// back to paged reads where the shop denies it, and stay exact when levels move after the bulk read.
@Suite(.timeLimit(.minutes(3)))
struct BulkReadTests {
    typealias W = EngineWorld

    static let firstItem = 800_000
    static func item(_ index: Int) -> String { "gid://shopify/InventoryItem/\(firstItem + index)" }

    /// A catalog of `count` items BULK-0, BULK-1, ... in the main store.
    static func catalog(_ count: Int) -> String {
        var text = "sku,store,inventory_item_id,sync\n"
        for index in 0..<count { text += "BULK-\(index),main,\(item(index)),true\n" }
        return text
    }

    /// Seeds the simulator with the catalog's items, each at 10 at the main store's first location.
    static func seed(_ world: EngineWorld, _ count: Int) async throws {
        for index in 0..<count {
            try await world.simulator.state.addItem(
                SimulatorItem(id: item(index), sku: "BULK-\(index)", levels: [W.main1: 10]),
                shop: "main"
            )
        }
    }

    /// A hard sync of the `count` items: even ones at their current 10, odd ones at 20.
    static func hardSync(_ id: String, _ count: Int) -> String {
        BulkSyncTests.bulk(
            id,
            store: "main",
            scope: "all",
            (0..<count).map { ("BULK-\($0)", Optional("WH1"), $0 % 2 == 0 ? 10 : 20) }
        )
    }

    /// Seeds `count` items, runs a hard sync of them and checks what any path gives: done, half applied, half
    /// equal, and one bulk operation started.
    static func runHardSync(_ world: EngineWorld, _ id: String, _ count: Int) async throws {
        try await seed(world, count)
        try world.drop("hard.json", hardSync(id, count))
        try await world.waitFinished(["hard.json"], timeout: .seconds(90))
        let (folder, report) = try world.report("hard.json")
        #expect(folder == "done")
        #expect(report.counts?["applied"] == count / 2)
        #expect(report.counts?["equal"] == count / 2)
        #expect(await world.calls("bulkOperationRunQuery").count == 1)
    }

    @Test("a hard sync of 1,200 items reads through one bulk operation: no paged read, equal items verified")
    func readsThroughABulkOperation() async throws {
        let count = 1_200
        try await withEngine(catalog: Self.catalog(count)) { world in
            try await Self.runHardSync(world, "hard-1", count)
            #expect(await world.calls("nodes").isEmpty)
            // Equal items are written all the same, comparing against the bulk read: rows that change nothing.
            let rows = await BulkSyncTests.setRows(world)
            #expect(rows.count == count)
            #expect(rows.filter { $0.quantity == $0.from }.count == count / 2)
            #expect(rows.allSatisfy { $0.from == 10 })
            let points = await world.calls().filter { $0.shop == "main" }.reduce(0) { $0 + $1.points }
            #expect(Double(points) / Double(count) <= 0.1, "\(points) points for \(count) items")
            #expect(await world.onHand("main", Self.item(1), W.main1) == 20)
            #expect(await world.onHand("main", Self.item(2), W.main1) == 10)
        }
    }

    @Test("a shop that denies bulk operations (ACCESS_DENIED): a warning, paged reads, the same result")
    func deniedFallsBackToPagedReads() async throws {
        let count = 1_200
        let recorder = LogRecorder()
        let denied: (inout SimulatorOptions) -> Void = { $0.faults.bulkDenied = ["main"] }
        try await withEngine(simulatorOptions: denied, catalog: Self.catalog(count), logger: recorder.logger) { world in
            try await Self.runHardSync(world, "hard-2", count)
            #expect(await world.calls("nodes").count >= count / 250)
            // Paged reads prove equality, so equal items are not written.
            #expect(await BulkSyncTests.setRows(world).count == count / 2)
            let warnings = recorder.entries.filter {
                $0.level == .warning && $0.metadata["shopify.error_code"] == "ACCESS_DENIED"
            }
            #expect(warnings.count == 1, "\(recorder.entries.map(\.message))")
            #expect(warnings.first?.message.contains("paged reads") == true)
        }
    }

    @Test(
        "a movement dropped while the bulk read runs is applied at once, kept by the hard sync, and its stale row read again"
    )
    func movementDuringTheBulkRead() async throws {
        let count = 1_200
        let slow: (inout SimulatorOptions) -> Void = { $0.faults.bulkRunningTimeMs = 1_500 }
        try await withEngine(simulatorOptions: slow, catalog: Self.catalog(count)) { world in
            try await Self.seed(world, count)
            try world.drop("hard.json", Self.hardSync("hard-3", count))
            let deadline = ContinuousClock.now + .seconds(30)
            while await world.calls("bulkOperationRunQuery").isEmpty && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            let dropped = ContinuousClock.now
            try world.drop("live.json", movement("live-1", "receipt", [("BULK-3", "WH1", 5)]))
            try await world.waitFinished(["live.json"], timeout: .seconds(30))
            #expect(dropped.duration(to: .now) < .seconds(3))
            // The bulk read started before the movement: its result is stale for BULK-3.
            #expect(await world.calls("inventorySetQuantities").isEmpty, "the sets waited for the bulk read")

            try await world.waitFinished(["hard.json"], timeout: .seconds(90))
            let (folder, report) = try world.report("hard.json")
            #expect(folder == "done")
            #expect(report.counts?["applied"] == count / 2)
            // The movement came after the snapshot: the hard sync keeps it (20 + 5), after one re-read.
            #expect(await world.onHand("main", Self.item(3), W.main1) == 25)
            let stale = await world.calls("inventorySetQuantities").filter {
                $0.detail?.contains("CHANGE_FROM_QUANTITY_STALE") == true
            }
            #expect(stale.count == 1)
            #expect(await world.calls("nodes").count == 1, "only the stale item is read again, singly")
        }
    }
}

/// A store whose bulk operations start but can never be polled (Shopify no longer knows them): every other call
/// goes to the real client.
struct UnpollableBulkAPI: InventoryAPI {
    let base: any InventoryAPI

    func adjustQuantities(_ request: AdjustRequest) async throws(ShopifyError) -> MutationResult {
        try await base.adjustQuantities(request)
    }
    func setQuantities(_ request: SetRequest) async throws(ShopifyError) -> MutationResult {
        try await base.setQuantities(request)
    }
    func sendWrite(_ write: InventoryWrite, body: [UInt8]) async throws(ShopifyError) -> MutationResult {
        try await base.sendWrite(write, body: body)
    }
    func onHand(items: [String], locationID: String) async throws(ShopifyError) -> OnHandResult {
        try await base.onHand(items: items, locationID: locationID)
    }
    func lookupSKU(_ sku: String) async throws(ShopifyError) -> SKULookupResult { try await base.lookupSKU(sku) }
    func shopName() async throws(ShopifyError) -> String { try await base.shopName() }
    func startBulkQuery(_ query: String) async throws(ShopifyError) -> BulkOperationStart {
        try await base.startBulkQuery(query)
    }
    func bulkOperation(id: String) async throws(ShopifyError) -> BulkOperationState {
        throw ShopifyError(code: .graphQL, message: "Invalid id: \(id)", shopifyCode: "NOT_FOUND")
    }
    func download(url: String) async throws(ShopifyError) -> [UInt8] { try await base.download(url: url) }
}

extension BulkReadTests {
    @Test("a bulk read that cannot be polled falls back to paged reads instead of keeping the sets waiting")
    func unpollableFallsBack() async throws {
        try await DaemonSystemdTests.withWorld(skus: ["A-1", "GONE"]) { simulator, directory in
            let clock = ManualClock()
            let runtime = try ServiceSeamTests.runtime(
                directory,
                clients: { config in StoreClients.make(for: config).mapValues { UnpollableBulkAPI(base: $0) } },
                monotonicNow: { clock.now }
            )
            let processor = SpoolProcessor(runtime: runtime)
            try BulkSyncTests.bulk("hard-u", store: "main", scope: "all", [("A-1", nil, 9)])
                .write(toFile: "\(directory)/spool/pending/hard.json", atomically: true, encoding: .utf8)
            try processor.scan()
            var worker = StoreWorker(store: "main", runtime: runtime)
            worker.bulkReadThreshold = 1
            // The first turn starts the bulk read and waits for it; the second, once the poll is due, cannot
            // poll it.
            await worker.run(
                wakes: ScriptedWakes([
                    {},
                    {
                        #expect(
                            await simulator.state.calls().filter { $0.rootField == "bulkOperationRunQuery" }.count == 1
                        )
                        #expect(await WorkerSeamTests.level(simulator) == 5, "the set waited for the bulk read")
                        clock.advance(by: .seconds(1))
                    },
                ])
            )
            #expect(await simulator.state.calls().contains { $0.rootField == "nodes" })
            #expect(await WorkerSeamTests.level(simulator) == 9)
        }
    }
}
