import Foundation
import ShopifySimulator
import SyncState
import Testing

@testable import ShopifySync

/// End to end: request files in a real spool reach the simulator over libcurl, once.
@Suite(.timeLimit(.minutes(2)))
struct WritebackTests {
    typealias W = EngineWorld

    @Test("every movement type reaches Shopify with its reason, fanned out to every store the SKU maps to")
    func everyMovementType() async throws {
        try await withEngine { world in
            let files: [(String, String, Int)] = [
                ("receipt", "receipt", 5), ("pick", "pick", -1), ("shipment", "shipment", -2),
                ("adjustment", "adjustment", 3), ("stocktake", "stocktake_variance", -4), ("transfer", "transfer", 2),
                ("return", "return", 1),
            ]
            for (id, type, delta) in files {
                try world.drop("\(id).json", movement(id, type, [("TEE-RED-M", "WH1", delta)]))
            }
            try await world.waitFinished(files.map { "\($0.0).json" })
            let net = files.map(\.2).reduce(0, +)
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1002", W.main1) == 10 + net)
            #expect(await world.onHand("au", "gid://shopify/InventoryItem/2002", W.au1) == 10 + net)
            for (id, _, _) in files {
                let (folder, report) = try world.report("\(id).json")
                #expect(folder == "done")
                #expect(report.outcome == "applied")
                #expect(report.lines?.count == 2)
                #expect(report.lines?.allSatisfy { $0.outcome == "applied" } == true)
            }
            let reasons = Set(
                await world.calls("inventoryAdjustQuantities").compactMap {
                    $0.variables["input"]?["reason"]?.stringValue
                }
            )
            #expect(
                reasons.isSuperset(of: [
                    "received", "movement_created", "correction", "cycle_count_available", "restock",
                ])
            )
        }
    }

    @Test("a pick or shipment of a Shopify order is not sent to that store, but still to the others")
    func shopifyOrderRule() async throws {
        try await withEngine { world in
            let (folder, report) = try await world.run(
                "ship.json",
                movement("ship-1", "shipment", order: "main", [("TEE-RED-M", "WH1", -3)])
            )
            #expect(folder == "done")
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1002", W.main1) == 10)
            #expect(await world.onHand("au", "gid://shopify/InventoryItem/2002", W.au1) == 7)
            let main = report.lines?.first { $0.store == "main" }
            #expect(main?.outcome == "skipped")
            #expect(main?.reason == "shopify_order")
            // The rule is for picks and shipments only: a receipt naming an order is sent everywhere.
            _ = try await world.run(
                "rcpt.json",
                movement("rcpt-1", "receipt", order: "main", [("TEE-RED-M", "WH1", 3)])
            )
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1002", W.main1) == 13)
        }
    }

    @Test("unknown SKU, excluded product and missing item id are skipped and logged; the rest is applied")
    func skips() async throws {
        try await withEngine { world in
            let (folder, report) = try await world.run(
                "mixed.json",
                movement(
                    "mixed-1",
                    "adjustment",
                    [("NOPE", "WH1", 1), ("MUG-01", "WH1", 1), ("POSTER-A2", "WH1", 1), ("CAP-BLK", "WH2", 4)]
                )
            )
            #expect(folder == "done")
            let byLine = Dictionary(grouping: report.lines ?? [], by: \.line)
            #expect(byLine[0]?.first?.reason == "no_inventory_item")
            #expect(byLine[1]?.first?.reason == "excluded")
            #expect(byLine[2]?.first?.reason == "no_inventory_item")
            #expect(byLine[3]?.first?.outcome == "applied")
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1009", W.main2) == 14)
        }
    }

    @Test("an unmapped location falls back to the store's default location")
    func defaultLocation() async throws {
        try await withEngine { world in
            _ = try await world.run(
                "loc.json",
                movement("loc-1", "receipt", [("SOCK-3PK", "WH9", 2), ("SOCK-3PK", nil, 3)])
            )
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1011", W.main1) == 15)
            // Both lines went to the same (item, location): netted into one row of one call.
            let calls = await world.calls("inventoryAdjustQuantities")
            #expect(calls.count == 1)
            #expect(calls.first?.rows == 1)
        }
    }

    @Test("a row Shopify rejects fails its line only; the rest is resent without it under a new key")
    func userErrorFailsOneLine() async throws {
        try await withEngine { world in
            let (folder, report) = try await world.run(
                "ghost.json",
                movement("ghost-1", "receipt", [("GHOST", "WH1", 1), ("TEE-RED-S", "WH1", 2)])
            )
            #expect(folder == "failed")
            #expect(report.outcome == "partial")
            let ghost = report.lines?.first { $0.sku == "GHOST" }
            #expect(ghost?.outcome == "failed")
            #expect(ghost?.errorCode == "INVALID_INVENTORY_ITEM")
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1001", W.main1) == 12)
            let keys = await world.calls("inventoryAdjustQuantities").compactMap(\.idempotencyKey)
            #expect(keys.count == 2)
            #expect(Set(keys).count == 2)
        }
    }

    @Test("the same movement twice is applied once; the same id with other content is an id_conflict")
    func duplicateAndConflict() async throws {
        try await withEngine { world in
            let body = movement("rcpt-dup", "receipt", [("TEE-RED-S", "WH1", 5)])
            _ = try await world.run("a.json", body)
            let (folder, report) = try await world.run("b.json", body)
            #expect(folder == "done")
            #expect(report.outcome == "duplicate")
            let (conflictFolder, conflict) = try await world.run(
                "c.json",
                movement("rcpt-dup", "receipt", [("TEE-RED-S", "WH1", 6)])
            )
            #expect(conflictFolder == "failed")
            #expect(conflict.reason == "id_conflict")
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1001", W.main1) == 15)
            // Re-dropping under the same name after it finished does not overwrite the first report.
            try world.drop("a.json", body)
            try await Task.sleep(for: .milliseconds(500))
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1001", W.main1) == 15)
        }
    }

    @Test("a 401 pauses the store, its work waits, and it resumes without a restart; the other store goes on")
    func pauseAndResume() async throws {
        try await withEngine { world in
            await world.simulator.state.updateFaults { $0.unauthorized = ["main"] }
            try world.drop("p.json", movement("p-1", "receipt", [("TEE-RED-M", "WH1", 4)]))
            var paused = false
            for _ in 0..<100 where !paused {
                paused = try world.state.storeStates()["main"]?.state == .paused
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(paused)
            #expect(await world.onHand("au", "gid://shopify/InventoryItem/2002", W.au1) == 14)
            #expect(FileManager.default.fileExists(atPath: "\(world.directory)/spool/processing/p.json"))
            await world.simulator.state.updateFaults { $0.unauthorized = [] }
            try await world.waitFinished(["p.json"], timeout: .seconds(60))
            #expect(try world.report("p.json").folder == "done")
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1002", W.main1) == 14)
            #expect(try world.state.storeStates()["main"]?.state == .ok)
        }
    }

    @Test("5xx answers are retried with backoff and applied once")
    func serverErrorsRetry() async throws {
        try await withEngine { world in
            await world.simulator.state.updateFaults { $0.failNext = 2 }
            _ = try await world.run("r.json", movement("r-1", "receipt", [("CAP-BLK", "WH1", 7)]))
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1009", W.main1) == 17)
        }
    }

    @Test("apply, then a broken connection: the resend reuses the key and Shopify applies it once")
    func brokenConnectionAppliesOnce() async throws {
        try await withEngine { world in
            await world.simulator.state.updateFaults { $0.breakAfterApplyNext = 1 }
            _ = try await world.run("b.json", movement("b-1", "receipt", [("CAP-BLK", "WH1", 7)]))
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1009", W.main1) == 17)
            let keys = await world.calls("inventoryAdjustQuantities").compactMap(\.idempotencyKey)
            #expect(keys.count >= 2)
            #expect(Set(keys).count == 1)
        }
    }

    @Test("throttling: a small bucket slows the daemon down but loses nothing")
    func throttling() async throws {
        func smallBucket(_ options: inout SimulatorOptions) {
            options.bucket = 40
            options.restoreRate = 40
        }
        try await withEngine(simulatorOptions: smallBucket) { world in
            var names: [String] = []
            for index in 0..<12 {
                let name = "t\(index).json"
                names.append(name)
                try world.drop(
                    name,
                    movement("t-\(index)", index % 2 == 0 ? "receipt" : "adjustment", [("SOCK-3PK", "WH1", 1)])
                )
            }
            try await world.waitFinished(names, timeout: .seconds(60))
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1011", W.main1) == 22)
        }
    }

    @Test("a movement dropped while the next call waits for the bucket goes in that call, not in a later one")
    func waitForTheBucketBeforePlanning() async throws {
        // 13 points a call from a bucket of 20 restoring 1 a second: after the first call the next one waits
        // about 6 s, long enough for both files to be recorded however loaded the machine is.
        func slowBucket(_ options: inout SimulatorOptions) {
            options.bucket = 20
            options.restoreRate = 1
        }
        try await withEngine(simulatorOptions: slowBucket) { world in
            _ = try await world.run("first.json", movement("first", "receipt", [("TEE-RED-S", "WH1", 1)]))
            let before = await world.calls("inventoryAdjustQuantities").count
            try world.drop("a.json", movement("a", "receipt", [("TEE-RED-S", "WH1", 1)]))
            try await Task.sleep(for: .milliseconds(250))
            try world.drop("b.json", movement("b", "receipt", [("CAP-BLK", "WH1", 1)]))
            try await world.waitFinished(["a.json", "b.json"], timeout: .seconds(30))
            let calls = await world.calls("inventoryAdjustQuantities").dropFirst(before).filter { $0.shop == "main" }
            #expect(calls.map(\.rows) == [2], "\(calls.map(\.rows))")
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1001", W.main1) == 12)
        }
    }

    @Test("a Shopify that stays down past max_retry_hours fails the lines as outcome_unknown; nothing is lost")
    func givesUpAfterMaxRetryHours() async throws {
        // 0.001 h is 3.6 s: long enough for several retries with backoff.
        try await withEngine(extraConfig: "max_retry_hours = 0.001") { world in
            await world.simulator.state.updateFaults {
                $0.failRate = 1
                $0.failStatus = 502
                $0.retryAfterSeconds = 0
            }
            try world.drop("down.json", movement("down-1", "receipt", [("CAP-BLK", "WH1", 3)]))
            try await world.waitFinished(["down.json"], timeout: .seconds(60))
            let (folder, report) = try world.report("down.json")
            #expect(folder == "failed")
            #expect(report.lines?.first?.outcome == "failed")
            // Every call failed, but a 5xx does not prove nothing was applied: the outcome is unknown.
            #expect(report.lines?.first?.errorCode == "outcome_unknown")
            #expect(report.lines?.first?.error?.isEmpty == false)
            #expect(await world.calls().filter { $0.httpStatus == 502 }.count >= 2)
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1009", W.main1) == 10)
            // Once Shopify is back, requeueing applies the line once.
            await world.simulator.state.updateFaults { $0.failRate = 0 }
            try world.spool.requeue("down.json")
            try await Task.sleep(for: .milliseconds(300))
            try await world.waitFinished(["down.json"], timeout: .seconds(30))
            #expect(try world.report("down.json").folder == "done")
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1009", W.main1) == 13)
        }
    }

    @Test("a bulk sync item Shopify does not know fails as INVALID_INVENTORY_ITEM, not as not stocked")
    func bulkSyncUnknownItem() async throws {
        try await withEngine { world in
            let body = """
                {"kind":"bulk_sync","id":"bulk-ghost","store":"main","scope":"selected",
                 "items":[{"sku":"GHOST","location":"WH1","on_hand":4},{"sku":"TEE-RED-S","location":"WH1","on_hand":4}]}
                """
            let (folder, report) = try await world.run("ghost-bulk.json", body)
            #expect(folder == "failed")
            let ghost = report.lines?.first { $0.sku == "GHOST" }
            #expect(ghost?.errorCode == "INVALID_INVENTORY_ITEM")
            #expect(report.lines?.first { $0.sku == "TEE-RED-S" }?.outcome == "applied")
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1001", W.main1) == 4)
        }
    }

    @Test("a paused store's work waits past max_retry_hours instead of failing")
    func pausedWorkNeverGivesUp() async throws {
        try await withEngine(extraConfig: "max_retry_hours = 0.001") { world in
            await world.simulator.state.updateFaults { $0.unauthorized = ["main"] }
            try world.drop("wait.json", movement("wait-1", "receipt", [("SOCK-3PK", "WH1", 2)]))
            // Well past the 3.6 s of max_retry_hours.
            try await Task.sleep(for: .seconds(6))
            #expect(FileManager.default.fileExists(atPath: "\(world.directory)/spool/processing/wait.json"))
            await world.simulator.state.updateFaults { $0.unauthorized = [] }
            try await world.waitFinished(["wait.json"], timeout: .seconds(60))
            #expect(try world.report("wait.json").folder == "done")
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1011", W.main1) == 12)
        }
    }

    @Test("the catalog is reread when its file changes: a SKU added to it is applied without a restart")
    func catalogChangeIsPickedUp() async throws {
        try await withEngine { world in
            let (_, before) = try await world.run("c1.json", movement("c-1", "receipt", [("BOTTLE-750", nil, 1)]))
            #expect(before.lines?.first { $0.store == "main" } == nil)
            let catalog = EngineWorld.catalog + "BOTTLE-750,main,gid://shopify/InventoryItem/1011,true\n"
            try catalog.write(toFile: "\(world.directory)/catalog.csv", atomically: true, encoding: .utf8)
            // Modification times can be coarse: wait until the engine has the new row.
            let deadline = ContinuousClock.now + .seconds(10)
            while world.runtime.current.catalog.entries(forSKU: "BOTTLE-750").count < 2
                && ContinuousClock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(50))
            }
            let (folder, after) = try await world.run("c2.json", movement("c-2", "receipt", [("BOTTLE-750", nil, 2)]))
            #expect(folder == "done")
            #expect(after.lines?.first { $0.store == "main" }?.outcome == "applied")
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1011", W.main1) == 12)
        }
    }
}
