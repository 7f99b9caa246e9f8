import Foundation
import ShopifySimulator
import SimulatorTestSupport
import Testing

/// `systemctl stop` (SIGTERM) while a Shopify call is on the wire.
@Suite(.timeLimit(.minutes(2)))
struct StopInFlightTests {
    @Test("SIGTERM with a call in flight: the call finishes (not cancelled), its file reaches done/, exit 0")
    func callInFlightFinishes() async throws {
        let location = "gid://shopify/Location/1"
        let item = "gid://shopify/InventoryItem/7000"
        let shop = SimulatorShop(
            name: "main",
            locations: [location],
            items: [SimulatorItem(id: item, sku: "A-1", levels: [location: 5])]
        )
        try await withTestSimulator(shops: [shop], faults: SimulatorFaults(latencyMs: 2000)) { simulator in
            let directory = try DaemonSystemdTests.prepare(simulator, skus: ["A-1", "GONE"])
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try DaemonSystemdTests.drop(directory, "m.json", movement("m-1", "receipt", [("A-1", nil, 3)]))
            let daemon = try ChildDaemon(
                config: "\(directory)/config.toml",
                logPath: "\(directory)/daemon.log",
                environment: ["SHOPIFY_SYNC_JOURNAL_SOCKET": "\(directory)/no-journal"]
            )
            // Claimed, and its call sent (the simulator answers after 2 s): stop it now.
            let deadline = ContinuousClock.now + .seconds(20)
            while !FileManager.default.fileExists(atPath: "\(directory)/spool/processing/m.json")
                && ContinuousClock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(20))
            }
            try await Task.sleep(for: .milliseconds(700))
            daemon.signal(SIGTERM)
            let status = await daemon.waitForExit(timeout: .seconds(35))
            if status == nil { daemon.signal(SIGKILL) }
            #expect(status == 0, "\(daemon.log)")
            #expect(!daemon.log.contains("cancelled"), "the call in flight was cancelled: \(daemon.log)")
            let level = await simulator.state.levels(shop: "main")[item]?.locations[location]?.available
            #expect(level == 8, "the call in flight did not reach Shopify: \(daemon.log)")
            #expect(
                FileManager.default.fileExists(atPath: "\(directory)/spool/done/m.json"),
                "m.json is not in done/ after the stop: \(daemon.log)"
            )
        }
    }
}
