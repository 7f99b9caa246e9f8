import Foundation
import ShopifySimulator
import TestSupport
import Testing

/// The world of the crash, power-cut and torture tests: store `main` with two locations (WMS location WH2 mapped
/// to the second, everything else to the first) and store `au` with one; every SKU is in main, every second one
/// in au too.
enum TwoStoreWorld {
    static let main1 = "gid://shopify/Location/1"
    static let main2 = "gid://shopify/Location/2"
    static let au1 = "gid://shopify/Location/11"
    static func mainItem(_ index: Int) -> String { "gid://shopify/InventoryItem/\(1000 + index)" }
    static func auItem(_ index: Int) -> String { "gid://shopify/InventoryItem/\(5000 + index)" }

    /// The two shops, main's locations at `main` each and au's one at `au`.
    static func shops(skus: [String], main: Int, au: Int) -> [SimulatorShop] {
        [
            SimulatorShop(
                name: "main",
                locations: [main1, main2],
                items: skus.indices.map {
                    SimulatorItem(id: mainItem($0), sku: skus[$0], levels: [main1: main, main2: main])
                }
            ),
            SimulatorShop(
                name: "au",
                locations: [au1],
                items: skus.indices.filter { $0 % 2 == 0 }.map {
                    SimulatorItem(id: auItem($0), sku: skus[$0], levels: [au1: au])
                }
            ),
        ]
    }

    /// Writes catalog.csv, the two tokens and config.toml (spool/ and state/ beside it) into `folder`.
    static func write(to folder: String, skus: [String], simulator: RunningSimulator) throws {
        var catalog = "sku,store,inventory_item_id,sync\n"
        for index in skus.indices {
            catalog += "\(skus[index]),main,\(mainItem(index)),true\n"
            if index % 2 == 0 { catalog += "\(skus[index]),au,\(auItem(index)),true\n" }
        }
        try catalog.write(toFile: "\(folder)/catalog.csv", atomically: true, encoding: .utf8)
        try writeToken("t\n", to: "\(folder)/main.token")
        try writeToken("t\n", to: "\(folder)/au.token")
        try """
        spool_dir = "spool"
        state_dir = "state"
        catalog = "catalog.csv"
        rescan_interval_seconds = 1
        [stores.main]
        shop = "main.myshopify.com"
        default_location = "\(main1)"
        endpoint = "\(simulator.baseURL(shop: "main"))"
        [stores.main.locations]
        WH2 = "\(main2)"
        [stores.au]
        shop = "au.myshopify.com"
        default_location = "\(au1)"
        endpoint = "\(simulator.baseURL(shop: "au"))"
        """.write(toFile: "\(folder)/config.toml", atomically: true, encoding: .utf8)
    }

    /// Runs the daemon on `directory` a last time until pending/ and processing/ are empty (within `timeout`),
    /// stops it with SIGTERM and checks that it drained, exited 0 and failed nothing; returns done/'s names.
    static func drainAndStop(_ directory: String, logPath: String, timeout: Duration) async throws -> [String] {
        let daemon = try ChildDaemon(config: "\(directory)/config.toml", logPath: logPath)
        let deadline = ContinuousClock.now + timeout
        var finished = false
        while !finished && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            let pending = (try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/spool/pending")) ?? []
            let processing =
                (try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/spool/processing")) ?? []
            finished = pending.isEmpty && processing.isEmpty
        }
        daemon.signal(SIGTERM)
        let status = await daemon.waitForExit(timeout: .seconds(40))
        #expect(finished, "spool not drained; daemon log:\n\(daemon.log.suffix(3000))")
        #expect(status == 0, "daemon log:\n\(daemon.log.suffix(1500))")
        let failed = try FileManager.default.contentsOfDirectory(atPath: "\(directory)/spool/failed")
        #expect(failed.isEmpty, "failed/: \(failed.prefix(10))")
        return try FileManager.default.contentsOfDirectory(atPath: "\(directory)/spool/done")
    }
}
