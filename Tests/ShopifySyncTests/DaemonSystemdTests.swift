import Foundation
import Logging
import ShopifySimulator
import Systemd
import TestSupport
import Testing

@testable import ShopifySync

/// The real daemon under a systemd-like environment: a NOTIFY_SOCKET listener, signals, and the journal.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct DaemonSystemdTests {
    static let token = "shpat_secret_token_never_logged_\(UInt32.random(in: 0...UInt32.max))"

    /// A folder with config, catalog and tokens for a daemon talking to `simulator`; `skus` are in the catalog
    /// (the last one is not in Shopify, so Shopify rejects it).
    static func prepare(_ simulator: RunningSimulator, skus: [String]) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("daemon-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: "\(directory)/spool/pending", withIntermediateDirectories: true)
        var catalog = "sku,store,inventory_item_id,sync\n"
        for (index, sku) in skus.enumerated() { catalog += "\(sku),main,\(7000 + index),true\n" }
        try catalog.write(toFile: "\(directory)/catalog.csv", atomically: true, encoding: .utf8)
        try writeToken("\(token)\n", to: "\(directory)/main.token")
        try """
        spool_dir = "spool"
        state_dir = "state"
        catalog = "catalog.csv"
        [stores.main]
        shop = "main.myshopify.com"
        default_location = "gid://shopify/Location/1"
        endpoint = "\(simulator.baseURL(shop: "main"))"
        """.write(toFile: "\(directory)/config.toml", atomically: true, encoding: .utf8)
        return directory
    }

    static func withWorld<T>(skus: [String], _ body: (RunningSimulator, String) async throws -> T) async throws -> T {
        var logger = Logger(label: "sim")
        logger.logLevel = .critical
        let items = skus.dropLast().enumerated().map { index, sku in
            SimulatorItem(
                id: "gid://shopify/InventoryItem/\(7000 + index)",
                sku: sku,
                levels: ["gid://shopify/Location/1": 5]
            )
        }
        let options = SimulatorOptions(shops: [
            SimulatorShop(name: "main", locations: ["gid://shopify/Location/1"], items: items)
        ])
        return try await withSimulator(options, logger: logger) { simulator in
            let directory = try prepare(simulator, skus: skus)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            return try await body(simulator, directory)
        }
    }

    static func drop(_ directory: String, _ name: String, _ body: String) throws {
        try body.write(toFile: "\(directory)/spool/pending/.\(name)", atomically: false, encoding: .utf8)
        rename("\(directory)/spool/pending/.\(name)", "\(directory)/spool/pending/\(name)")
    }

    @Test(
        "READY=1 after recovery and the first scan; STATUS, WATCHDOG, RELOADING then READY on SIGHUP, STOPPING and exit 0"
    )
    func notifyLifecycle() async throws {
        try await Self.withWorld(skus: ["A-1", "A-2", "GONE"]) { _, directory in
            for index in 0..<40 {
                try Self.drop(directory, "m\(index).json", movement("m-\(index)", "receipt", [("A-1", nil, 1)]))
            }
            try await NotifyListener.withListener { listener in
                let daemon = try ChildDaemon(
                    config: "\(directory)/config.toml",
                    logPath: "\(directory)/daemon.log",
                    environment: listener.environment(watchdog: .seconds(2))
                )
                try await listener.waitFor("READY=1")
                // Every file present at start was claimed before READY=1.
                let pending = try FileManager.default.contentsOfDirectory(atPath: "\(directory)/spool/pending")
                #expect(pending.isEmpty, "pending/ at READY=1: \(pending)")
                let status = try await listener.waitFor("STATUS=")
                #expect(status.first?.contains("pending") == true)
                try await listener.waitFor("WATCHDOG=1", count: 2, timeout: .seconds(5))

                // A bad config on reload is refused and the running one kept.
                let config = try String(contentsOfFile: "\(directory)/config.toml", encoding: .utf8)
                try "this is = = not toml".write(toFile: "\(directory)/config.toml", atomically: true, encoding: .utf8)
                daemon.signal(SIGHUP)
                try await listener.waitFor("RELOADING=1")
                try await listener.waitFor("READY=1", count: 2)
                let lines = listener.lines
                let reloading = lines.firstIndex(of: "RELOADING=1")
                #expect(reloading.map { lines[($0 + 1)...].contains { $0.hasPrefix("MONOTONIC_USEC=") } } == true)
                #expect(daemon.process.isRunning)
                try config.write(toFile: "\(directory)/config.toml", atomically: true, encoding: .utf8)
                daemon.signal(SIGHUP)
                try await listener.waitFor("READY=1", count: 3)
                #expect(daemon.log.contains("reload refused"))
                #expect(daemon.log.contains("reloaded config"))

                daemon.signal(SIGTERM)
                try await listener.waitFor("STOPPING=1")
                #expect(await daemon.waitForExit(timeout: .seconds(35)) == 0)
            }
        }
    }

    @Test("a second daemon on the same state folder refuses to start (exit 75); operator commands still work")
    func oneDaemonPerStateFolder() async throws {
        try await Self.withWorld(skus: ["A-1", "GONE"]) { _, directory in
            try await NotifyListener.withListener { listener in
                let first = try ChildDaemon(
                    config: "\(directory)/config.toml",
                    logPath: "\(directory)/first.log",
                    environment: listener.environment(watchdog: nil)
                )
                try await listener.waitFor("READY=1")
                let second = try ChildDaemon(config: "\(directory)/config.toml", logPath: "\(directory)/second.log")
                let status = await second.waitForExit(timeout: .seconds(20))
                let shown = status.map(String.init) ?? "still running"
                #expect(status == 75, "the second daemon did not refuse with EX_TEMPFAIL: \(shown)")
                #expect(second.log.contains("daemon.lock"), "the refusal does not name the lock: \(second.log)")
                #expect(second.log.contains("pid \(first.pid)"), "the refusal does not name the holder: \(second.log)")
                let statusCommand = try ChildDaemon(
                    config: "\(directory)/config.toml",
                    logPath: "\(directory)/status.log",
                    arguments: ["status"]
                )
                #expect(await statusCommand.waitForExit(timeout: .seconds(20)) == 0, "\(statusCommand.log)")
                #expect(first.process.isRunning)
                first.signal(SIGTERM)
                #expect(await first.waitForExit(timeout: .seconds(35)) == 0)
                // The lock went with the process: a new daemon starts.
                let third = try ChildDaemon(config: "\(directory)/config.toml", logPath: "\(directory)/third.log")
                try await Task.sleep(for: .seconds(1))
                #expect(third.process.isRunning, "a daemon after a clean stop did not start: \(third.log)")
                third.signal(SIGTERM)
                _ = await third.waitForExit(timeout: .seconds(35))
            }
        }
    }

    /// A stuck loop withholding the pings is `WatchdogService`'s rule, driven through its seam in SystemdTests;
    /// this checks the wiring: the daemon's watchdog reads the heartbeat its spool loop beats. A heartbeat
    /// nothing beat would go stale after half an interval and the pings would stop.
    @Test("the daemon's watchdog reads the heartbeat its spool loop beats: pings go on while the daemon idles")
    func watchdogReadsTheLoopsHeartbeat() async throws {
        try await NotifyListener.withListener { listener in
            let interval = Duration.seconds(3)
            let notifier = SystemdNotifier(socketPath: listener.path, watchdogInterval: interval)
            try await withEngine(notifier: notifier) { world in
                try await listener.waitFor("READY=1")
                // Pings every half interval (1.5 s); four of them span three times the time a stale heartbeat
                // would still pass for healthy.
                try await listener.waitFor("WATCHDOG=1", count: 4, timeout: .seconds(20))
                let health = world.runtime.health
                #expect(health.isHealthy(within: interval / 2), "last beat \(health.sinceLastBeat) ago")
            }
        }
    }

    @Test(
        "the journal gets one entry per skipped or failed SKU with the contract's fields, and never the token",
        .enabled(if: isJournaldAvailable)
    )
    func journalEntries() async throws {
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 16).uppercased()
        let known = "JRNL-OK-\(tag)"
        let rejected = "JRNL-REJ-\(tag)"
        let unknown = "JRNL-UNK-\(tag)"
        try await withJournald { journal in
            try await Self.withWorld(skus: [known, rejected]) { _, directory in
                let daemon = try ChildDaemon(config: "\(directory)/config.toml", logPath: "\(directory)/daemon.log")
                try Self.drop(
                    directory,
                    "u.json",
                    movement("u-\(tag)", "receipt", [(unknown, nil, 1), (known, nil, 2)])
                )
                try Self.drop(directory, "r.json", movement("r-\(tag)", "receipt", [(rejected, nil, 1)]))
                let skipped = try await journal.waitForEntries(matching: ["SHOPIFY_SKU=\(unknown)"])
                #expect(skipped.first?["SYNC_OUTCOME"] == "skipped")
                #expect(skipped.first?["SHOPIFY_ERROR_CODE"] == "no_inventory_item")
                #expect(skipped.first?["MESSAGE_ID"]?.count == 32)
                #expect(skipped.first?["SYSLOG_IDENTIFIER"] == "shopify-sync")
                let failed = try await journal.waitForEntries(matching: ["SHOPIFY_SKU=\(rejected)"])
                let entry = failed.first { $0["SYNC_OUTCOME"] == "failed" }
                #expect(entry?["SHOPIFY_STORE"] == "main")
                #expect(entry?["SHOPIFY_ERROR_CODE"] == "INVALID_INVENTORY_ITEM")
                #expect(entry?["SHOPIFY_ERROR"]?.isEmpty == false)
                #expect(entry?["WMS_MOVEMENT_ID"] == "r-\(tag)")
                #expect(entry?["PRIORITY"] == "3")
                #expect(entry?["CODE_FILE"]?.isEmpty == false)
                let applied = try await journal.waitForEntries(matching: [
                    "WMS_MOVEMENT_ID=u-\(tag)", "SYNC_OUTCOME=applied",
                ])
                #expect(!applied.isEmpty)
                daemon.signal(SIGTERM)
                _ = await daemon.waitForExit(timeout: .seconds(35))
                let everything = try journal.entries(matching: ["SYSLOG_IDENTIFIER=shopify-sync"])
                #expect(!everything.isEmpty)
                #expect(!everything.contains { $0.values.contains { $0.contains(Self.token) } })
                #expect(!daemon.log.contains(Self.token))
            }
        }
    }
}
