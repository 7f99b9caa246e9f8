import Foundation
import Logging
import ShopifySimulator
import ShopifySyncCore
import TestSupport
import Testing

/// The operator subcommands as an operator runs them: the real binary on a copy of spool-example/.
@Suite(.timeLimit(.minutes(2)))
struct CommandLineTests {
    /// Runs `shopify-sync ARGS` (with `environment` added to this process's) and returns its exit status and
    /// output (stdout and stderr).
    static func run(
        _ arguments: [String],
        environment: [String: String] = [:]
    ) async throws -> (status: Int32, output: String) {
        try await offCooperativePool { try runBlocking(arguments, environment: environment) }
    }

    private static func runBlocking(
        _ arguments: [String],
        environment: [String: String]
    ) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ChildDaemon.executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A copy of spool-example/ in a temporary folder.
    static func withExample<T>(_ body: (String) async throws -> T) async throws -> T {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("spool-example").path
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in ["config.toml", "catalog.csv", "main.token", "au.token", "snapshot.csv", "requests"] {
            try FileManager.default.copyItem(atPath: "\(source)/\(name)", toPath: "\(directory)/\(name)")
        }
        // Git keeps no modes: the tokens are made private, as an operator must (the daemon refuses them otherwise).
        for name in ["main.token", "au.token"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: "\(directory)/\(name)")
        }
        return try await body(directory)
    }

    @Test("check: 0 on spool-example, 78 naming file and line on a bad config or catalog")
    func check() async throws {
        try await Self.withExample { directory in
            let good = try await Self.run(["check", "--config", "\(directory)/config.toml"])
            #expect(good.status == 0, "\(good.output)")
            try "sku,store,inventory_item_id,sync\nA,main,not-a-number,true\n".write(
                toFile: "\(directory)/catalog.csv",
                atomically: true,
                encoding: .utf8
            )
            let badCatalog = try await Self.run(["check", "--config", "\(directory)/config.toml"])
            #expect(badCatalog.status == 78)
            #expect(badCatalog.output.contains("catalog.csv:2:"))
            try "spool_dir = 5\n".write(toFile: "\(directory)/config.toml", atomically: true, encoding: .utf8)
            let badConfig = try await Self.run(["check", "--config", "\(directory)/config.toml"])
            #expect(badConfig.status == 78)
            #expect(badConfig.output.contains("config.toml:1:"))
        }
    }

    @Test("submit places valid files atomically and refuses invalid ones with 65, placing nothing")
    func submit() async throws {
        try await Self.withExample { directory in
            let config = "\(directory)/config.toml"
            let good = try await Self.run(["submit", "--config", config, "\(directory)/requests/01-receipt.json"])
            #expect(good.status == 0, "\(good.output)")
            #expect(FileManager.default.fileExists(atPath: "\(directory)/spool/pending/01-receipt.json"))
            let bad = try await Self.run([
                "submit", "--config", config, "\(directory)/requests/12-bad-float-delta.json",
            ])
            #expect(bad.status == 65)
            #expect(bad.output.contains("lines[0].delta"))
            #expect(!FileManager.default.fileExists(atPath: "\(directory)/spool/pending/12-bad-float-delta.json"))
            let again = try await Self.run(["submit", "--config", config, "\(directory)/requests/01-receipt.json"])
            #expect(again.status == 74)
            let usage = try await Self.run(["submit", "--config", config])
            #expect(usage.status == 64)
        }
    }

    @Test("status --json has the contract's shape")
    func statusJSON() async throws {
        try await Self.withExample { directory in
            let config = "\(directory)/config.toml"
            _ = try await Self.run(["submit", "--config", config, "\(directory)/requests/02-pick.json"])
            let result = try await Self.run(["status", "--json", "--config", config])
            #expect(result.status == 0, "\(result.output)")
            let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
            #expect(object?["pending"] as? Int == 1)
            for key in ["processing", "done", "failed"] { #expect(object?[key] as? Int == 0) }
            #expect(object?["oldest_pending_age_s"] is Double)
            let stores = object?["stores"] as? [String: [String: Any]]
            #expect(stores?.keys.sorted() == ["au", "main"])
            #expect(stores?["main"]?["state"] as? String == "ok")
        }
    }

    @Test("check --online reports a rejected token as such (69), and 0 when every store answers")
    func checkOnline() async throws {
        var logger = Logging.Logger(label: "sim")
        logger.logLevel = .critical
        let shops = [
            SimulatorShop(name: "main", locations: ["gid://shopify/Location/1"], items: []),
            SimulatorShop(name: "au", locations: ["gid://shopify/Location/11"], items: []),
        ]
        try await withSimulator(SimulatorOptions(shops: shops), logger: logger) { simulator in
            try await Self.withExample { directory in
                let config = "\(directory)/config.toml"
                var text = try String(contentsOfFile: config, encoding: .utf8)
                text = text.replacingOccurrences(of: "http://127.0.0.1:8787", with: simulator.baseURL)
                try text.write(toFile: config, atomically: true, encoding: .utf8)
                let online = try await Self.run(["check", "--online", "--config", config])
                #expect(online.status == 0, "\(online.output)")
                #expect(online.output.contains("store main: online"))
            }
            await simulator.state.updateFaults { $0.unauthorized = ["au"] }
            try await Self.withExample { directory in
                let config = "\(directory)/config.toml"
                var text = try String(contentsOfFile: config, encoding: .utf8)
                text = text.replacingOccurrences(of: "http://127.0.0.1:8787", with: simulator.baseURL)
                try text.write(toFile: config, atomically: true, encoding: .utf8)
                let rejected = try await Self.run(["check", "--online", "--config", config])
                #expect(rejected.status == 69)
                #expect(rejected.output.contains("store au: the token was rejected"))
                #expect(!rejected.output.contains("shpat_example"))
            }
        }
    }

    /// Points a copy of spool-example's config at `simulator`.
    static func useSimulator(_ simulator: RunningSimulator, in directory: String) throws {
        let config = "\(directory)/config.toml"
        var text = try String(contentsOfFile: config, encoding: .utf8)
        text = text.replacingOccurrences(of: "http://127.0.0.1:8787", with: simulator.baseURL)
        try text.write(toFile: config, atomically: true, encoding: .utf8)
    }

    @Test("drift prints per store, location and SKU the difference, exit 1 with drift and 0 without; --json")
    func drift() async throws {
        var logger = Logging.Logger(label: "sim")
        logger.logLevel = .critical
        // Seed a simulator the way `make demo` does, from spool-example's config and catalog.
        let seeded = try await Self.withExample { directory in
            try SimulatorSeed.shops(
                configPath: "\(directory)/config.toml",
                catalogPath: "\(directory)/catalog.csv",
                initialOnHand: 10
            )
        }
        try await withSimulator(SimulatorOptions(shops: seeded), logger: logger) { simulator in
            try await Self.withExample { directory in
                try Self.useSimulator(simulator, in: directory)
                let config = "\(directory)/config.toml"
                try "sku,location,on_hand\nTEE-RED-S,WH1,10\nTEE-RED-L,WH1,13\nCAP-BLK,WH2,10\nNOPE,WH1,1\n".write(
                    toFile: "\(directory)/snap.csv",
                    atomically: true,
                    encoding: .utf8
                )
                let text = try await Self.run([
                    "drift", "--config", config, "--csv", "\(directory)/snap.csv", "--store", "main",
                ])
                #expect(text.status == 1, "\(text.output)")
                #expect(text.output.contains("TEE-RED-L"))
                #expect(text.output.contains("diff +3"))
                #expect(!text.output.contains("TEE-RED-S\t"))
                #expect(text.output.contains("compared 3: equal 2, differing 1"))
                let json = try await Self.run(["drift", "--json", "--config", config, "--csv", "\(directory)/snap.csv"])
                #expect(json.status == 1)
                let object =
                    try JSONSerialization.jsonObject(
                        with: Data(json.output.split(separator: "\n").dropLast().joined().utf8)
                    )
                    as? [String: Any]
                let rows = object?["drift"] as? [[String: Any]]
                #expect(rows?.first?["sku"] as? String == "TEE-RED-L")
                #expect(rows?.first?["difference"] as? Int == 3)

                // bulk-sync builds the request from the same snapshot and places it in pending/.
                let bulk = try await Self.run([
                    "bulk-sync", "--config", config, "--csv", "\(directory)/snap.csv", "--store", "main",
                ])
                #expect(bulk.status == 0, "\(bulk.output)")
                let placed = try FileManager.default.contentsOfDirectory(atPath: "\(directory)/spool/pending")
                #expect(placed.count == 1)
                let request =
                    try JSONSerialization.jsonObject(
                        with: Data(contentsOf: URL(fileURLWithPath: "\(directory)/spool/pending/\(placed[0])"))
                    ) as? [String: Any]
                #expect(request?["scope"] as? String == "selected")
                #expect((request?["items"] as? [Any])?.count == 4)
                try "sku,location,on_hand\nTEE-RED-S,WH1,-1\n".write(
                    toFile: "\(directory)/bad.csv",
                    atomically: true,
                    encoding: .utf8
                )
                let bad = try await Self.run(["bulk-sync", "--config", config, "--csv", "\(directory)/bad.csv"])
                #expect(bad.status == 65)
                #expect(bad.output.contains("bad.csv:2:"))

                try "sku,location,on_hand\nTEE-RED-S,WH1,10\n".write(
                    toFile: "\(directory)/same.csv",
                    atomically: true,
                    encoding: .utf8
                )
                let same = try await Self.run(["drift", "--config", config, "--csv", "\(directory)/same.csv"])
                #expect(same.status == 0, "\(same.output)")
            }
        }
    }

    @Test("requeue moves a failed file back to pending/")
    func requeue() async throws {
        try await Self.withExample { directory in
            let config = "\(directory)/config.toml"
            _ = try await Self.run(["submit", "--config", config, "\(directory)/requests/02-pick.json"])
            try FileManager.default.moveItem(
                atPath: "\(directory)/spool/pending/02-pick.json",
                toPath: "\(directory)/spool/failed/02-pick.json"
            )
            try "{}".write(toFile: "\(directory)/spool/failed/02-pick.json.error", atomically: true, encoding: .utf8)
            let result = try await Self.run(["requeue", "--config", config, "--all"])
            #expect(result.status == 0, "\(result.output)")
            #expect(FileManager.default.fileExists(atPath: "\(directory)/spool/pending/02-pick.json"))
            #expect(!FileManager.default.fileExists(atPath: "\(directory)/spool/failed/02-pick.json"))
            let missing = try await Self.run(["requeue", "--config", config, "nope.json"])
            #expect(missing.status == 74)
        }
    }

    @Test("bulk-sync streams a 100,000-row snapshot into one request; a bad row in the middle places nothing")
    func bulkSyncStreamsLargeSnapshots() async throws {
        try await Self.withExample { directory in
            let config = "\(directory)/config.toml"
            var csv = "sku,location,on_hand\n"
            csv.reserveCapacity(3_000_000)
            for index in 0..<100_000 { csv += "SKU-\(index),WH1,\(index % 50)\n" }
            try csv.write(toFile: "\(directory)/big.csv", atomically: true, encoding: .utf8)
            let big = try await Self.run(["bulk-sync", "--config", config, "--csv", "\(directory)/big.csv", "--all"])
            #expect(big.status == 0, "\(big.output)")
            #expect(big.output.contains("100000 item(s), scope all"))
            let placed = try FileManager.default.contentsOfDirectory(atPath: "\(directory)/spool/pending")
            #expect(placed.count == 1)
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(directory)/spool/pending/\(placed[0])")))
            let decoded = try RequestDecoder().decode(bytes)
            guard case .bulkSync(let bulk) = decoded.request else {
                Issue.record("not a bulk sync")
                return
            }
            #expect(bulk.items.count == 100_000)
            #expect(bulk.scope == .all)
            #expect(bulk.items.last == BulkSync.Item(sku: "SKU-99999", location: "WH1", onHand: 49))

            try (csv + "BAD,WH1,-3\n" + "SKU-X,WH1,1\n").write(
                toFile: "\(directory)/bad.csv",
                atomically: true,
                encoding: .utf8
            )
            let bad = try await Self.run(["bulk-sync", "--config", config, "--csv", "\(directory)/bad.csv"])
            #expect(bad.status == 65)
            #expect(bad.output.contains("bad.csv:100002:"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(directory)/spool/pending").count == 1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: "\(directory)/spool/tmp").isEmpty)
        }
    }
}
