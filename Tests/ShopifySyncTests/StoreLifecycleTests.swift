import Foundation
import ShopifySimulator
import ShopifySyncCore
import Testing

@testable import ShopifySync

/// Work waits for a disabled store, a store added on reload starts at once, and a full disk loses nothing.
@Suite(.timeLimit(.minutes(3)))
struct StoreLifecycleTests {
    typealias W = EngineWorld
    static let capBlk = "gid://shopify/InventoryItem/1009"

    /// Rewrites the catalog file unchanged but newer: the daemon rereads config and catalog within a second.
    static func reload(_ world: EngineWorld, catalog: String = EngineWorld.catalog) throws {
        try catalog.write(toFile: "\(world.directory)/catalog.csv", atomically: true, encoding: .utf8)
    }

    static func waitFor(_ what: String, timeout: Duration = .seconds(20), _ fact: () async throws -> Bool) async throws
    {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await fact() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting for \(what)")
        throw SimulatorError("timeout: \(what)")
    }

    @Test("a disabled store holds its lines (status: disabled, n waiting); enabled again, they are applied once")
    func disabledStoreHoldsWork() async throws {
        try await withEngine(mainStore: "enabled = false") { world in
            try world.drop(
                "held.json",
                movement("held-1", "receipt", [("CAP-BLK", "WH1", 3), ("TEE-RED-M", "WH1", 2)])
            )
            // TEE-RED-M also maps to au, which is enabled: that line goes; main's two lines wait.
            try await Self.waitFor("au's line applied") {
                await world.onHand("au", "gid://shopify/InventoryItem/2002", W.au1) == 12
            }
            try await Task.sleep(for: .seconds(1))
            #expect(await world.calls("inventoryAdjustQuantities").allSatisfy { $0.shop == "au" })
            #expect(FileManager.default.fileExists(atPath: "\(world.directory)/spool/processing/held.json"))
            let config = try SyncConfig.load(path: world.configPath, environment: [:])
            let status = try StatusSnapshot.read(config: config, state: world.state, spool: world.spool, now: Date())
            #expect(status.stores["main"]?.state == "disabled")
            #expect(status.stores["main"]?.openLines == 2)

            let text = try String(contentsOfFile: world.configPath, encoding: .utf8)
            try text.replacingOccurrences(of: "enabled = false", with: "enabled = true").write(
                toFile: world.configPath,
                atomically: true,
                encoding: .utf8
            )
            try Self.reload(world)
            try await world.waitFinished(["held.json"], timeout: .seconds(30))
            let (folder, report) = try world.report("held.json")
            #expect(folder == "done")
            #expect(report.lines?.allSatisfy { $0.outcome == "applied" } == true)
            #expect(await world.onHand("main", Self.capBlk, W.main1) == 13)
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1002", W.main1) == 12)
            #expect(await world.calls("inventoryAdjustQuantities").filter { $0.shop == "main" }.count == 1)
        }
    }

    @Test("a store added to the config on reload starts working without a restart")
    func storeAddedOnReload() async throws {
        let mainOnly =
            EngineWorld.catalog.split(separator: "\n").filter { !$0.contains(",au,") }
            .joined(separator: "\n") + "\n"
        try await withEngine(catalog: mainOnly, withoutStore: "au") { world in
            _ = try await world.run("before.json", movement("before-1", "receipt", [("TEE-RED-M", "WH1", 1)]))
            #expect(await world.calls().allSatisfy { $0.shop == "main" })

            let full = try String(contentsOfFile: "\(world.directory)/config.full.toml", encoding: .utf8)
            try full.write(toFile: world.configPath, atomically: true, encoding: .utf8)
            try Self.reload(world)
            try await Task.sleep(for: .seconds(2))
            let (folder, _) = try await world.run(
                "after.json",
                movement("after-1", "receipt", [("TEE-RED-M", "WH1", 4)])
            )
            #expect(folder == "done")
            #expect(await world.onHand("au", "gid://shopify/InventoryItem/2002", W.au1) == 14)
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1002", W.main1) == 15)
        }
    }
}
