import Foundation
import Logging
import ShopifySimulator
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What a careless operator or a hostile producer can do: run it as root, leave the config or a token open to
/// others, read the token from anything it writes, or name a store, location or item nobody configured.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct SecurityTests {
    static func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int) ?? -1
    }

    @Test(
        "as root without --allow-root the daemon refuses to start: exit 77, the reason logged, nothing made",
        .enabled(if: geteuid() == 0, "only root can be refused")
    )
    func refusesRoot() async throws {
        try await DaemonSystemdTests.withWorld(skus: ["A-1", "GONE"]) { _, directory in
            let daemon = try ChildDaemon(
                config: "\(directory)/config.toml",
                logPath: "\(directory)/daemon.log",
                arguments: ["daemon"]
            )
            let status = await daemon.waitForExit(timeout: .seconds(20))
            #expect(status == 77, "\(daemon.log)")
            #expect(daemon.log.contains("refusing to run as root"), "\(daemon.log)")
            #expect(daemon.log.contains("--allow-root"), "\(daemon.log)")
            #expect(!FileManager.default.fileExists(atPath: "\(directory)/state"))
        }
    }

    @Test("a config writable by others, or a token others may read, is refused with its path: exit 78")
    func refusesExposedFiles() async throws {
        try await DaemonSystemdTests.withWorld(skus: ["A-1", "GONE"]) { _, directory in
            let config = "\(directory)/config.toml"
            let token = "\(directory)/main.token"
            try FileManager.default.setAttributes([.posixPermissions: 0o646], ofItemAtPath: config)
            let check = try await CommandLineTests.run(["check", "--config", config])
            #expect(check.status == 78, "\(check.output)")
            #expect(check.output.contains(config) && check.output.contains("writable by others"), "\(check.output)")
            let daemon = try ChildDaemon(config: config, logPath: "\(directory)/daemon.log")
            #expect(await daemon.waitForExit(timeout: .seconds(20)) == 78, "\(daemon.log)")
            #expect(daemon.log.contains(config) && daemon.log.contains("writable by others"), "\(daemon.log)")

            try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: config)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: token)
            let exposed = try ChildDaemon(config: config, logPath: "\(directory)/daemon2.log")
            #expect(await exposed.waitForExit(timeout: .seconds(20)) == 78, "\(exposed.log)")
            #expect(exposed.log.contains(token) && exposed.log.contains("readable or writable by others"))
            #expect(!exposed.log.contains(DaemonSystemdTests.token))

            // Owner and group only: accepted.
            try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: token)
            let good = try await CommandLineTests.run(["check", "--config", config])
            #expect(good.status == 0, "\(good.output)")
        }
    }

    @Test("the running daemon writes no core file (RLIMIT_CORE 0): its memory holds the tokens")
    func noCoreFile() async throws {
        try await DaemonSystemdTests.withWorld(skus: ["A-1", "GONE"]) { _, directory in
            let daemon = try ChildDaemon(config: "\(directory)/config.toml", logPath: "\(directory)/daemon.log")
            defer { daemon.signal(SIGKILL) }
            try await StoreLifecycleTests.waitFor("the daemon to start") {
                daemon.log.contains("shopify-sync started")
            }
            let limits =
                try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/\(daemon.pid)/limits"))
                .readToEnd() ?? Data()
            let line = String(decoding: limits, as: UTF8.self).split(separator: "\n")
                .first { $0.hasPrefix("Max core file size") }
            let fields = line?.split(separator: " ", omittingEmptySubsequences: true) ?? []
            #expect(fields.count >= 6 && fields[4] == "0" && fields[5] == "0", "\(String(describing: line))")
        }
    }

    @Test("modes: spool folders 2770/0750, reports 0640, a request keeps the mode the WMS gave it")
    func modes() async throws {
        try await DaemonSystemdTests.withWorld(skus: ["A-1", "GONE"]) { _, directory in
            let daemon = try ChildDaemon(config: "\(directory)/config.toml", logPath: "\(directory)/daemon.log")
            defer { daemon.signal(SIGKILL) }
            let spool = "\(directory)/spool"
            try await StoreLifecycleTests.waitFor("the spool folders") {
                FileManager.default.fileExists(atPath: "\(spool)/failed")
            }
            // The mode is set before the file appears in pending/: the daemon may claim it at once.
            let hidden = "\(spool)/pending/.good.json"
            try movement("g-1", "receipt", [("A-1", nil, 1)]).write(toFile: hidden, atomically: false, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o664], ofItemAtPath: hidden)
            #expect(rename(hidden, "\(spool)/pending/good.json") == 0)
            try DaemonSystemdTests.drop(directory, "bad.json", "{")
            try await StoreLifecycleTests.waitFor("both files to finish") {
                FileManager.default.fileExists(atPath: "\(spool)/done/good.json.result")
                    && FileManager.default.fileExists(atPath: "\(spool)/failed/bad.json.error")
            }
            // pending/ was made by the test (a folder that exists is left as it is); tmp/ by the daemon.
            #expect(Self.mode("\(spool)/tmp") == 0o2770)
            for folder in ["processing", "done", "failed"] { #expect(Self.mode("\(spool)/\(folder)") == 0o750) }
            #expect(Self.mode("\(spool)/done/good.json.result") == 0o640)
            #expect(Self.mode("\(spool)/failed/bad.json.error") == 0o640)
            #expect(Self.mode("\(spool)/done/good.json") == 0o664)
            #expect(Self.mode("\(directory)/state") & 0o007 == 0, "the state folder is open to others")
        }
    }

    @Test("a request naming a store, location or item nobody configured reaches only what the operator configured")
    func unconfiguredTargets() async throws {
        try await DaemonSystemdTests.withWorld(skus: ["A-1", "GONE"]) { simulator, directory in
            let daemon = try ChildDaemon(config: "\(directory)/config.toml", logPath: "\(directory)/daemon.log")
            defer { daemon.signal(SIGKILL) }
            let spool = "\(directory)/spool"
            func line(_ fields: String) -> String {
                #"{"kind":"movement","id":"\#(UUID().uuidString)","movement_type":"adjustment","lines":[{\#(fields)}]}"#
            }
            let requests = [
                // A movement has no store: the field is ignored (with a warning) and the SKU's stores get it.
                "store-field":
                    #"{"kind":"movement","id":"s","movement_type":"adjustment","store":"evil","lines":[{"sku":"A-1","delta":1}]}"#,
                "bulk-store":
                    #"{"kind":"bulk_sync","id":"b","store":"evil","scope":"selected","items":[{"sku":"A-1","on_hand":900}]}"#,
                // A location is a WMS code: one not in the store's table goes to its default_location.
                "gid-location": line(#""sku":"A-1","location":"gid://shopify/Location/999","delta":1"#),
                "location": line(#""sku":"A-1","location":"NOWHERE","delta":1"#),
                // Items come from the catalog only.
                "gid-item": line(#""sku":"gid://shopify/InventoryItem/7001","delta":1"#),
                "sku": line(#""sku":"NOT-IN-CATALOG","delta":1"#),
            ]
            for (name, body) in requests { try DaemonSystemdTests.drop(directory, "\(name).json", body) }
            try await StoreLifecycleTests.waitFor("every request to finish") {
                requests.keys.allSatisfy { name in
                    ["done/\(name).json.result", "failed/\(name).json.error"].contains {
                        FileManager.default.fileExists(atPath: "\(spool)/\($0)")
                    }
                }
            }
            func report(_ name: String) -> String {
                (try? String(contentsOfFile: "\(spool)/failed/\(name).json.error", encoding: .utf8))
                    ?? (try? String(contentsOfFile: "\(spool)/done/\(name).json.result", encoding: .utf8)) ?? ""
            }
            #expect(report("bulk-store").contains("unknown_store"), "\(report("bulk-store"))")
            #expect(report("store-field").contains("ignored unknown field"), "\(report("store-field"))")
            for name in ["gid-item", "sku"] {
                #expect(report(name).contains("\"skipped\""), "\(name): \(report(name))")
            }
            // Every call went to the configured shop, for the catalog's item at the configured location.
            let calls = await simulator.state.calls()
            #expect(!calls.isEmpty)
            for call in calls {
                let text = "\(call.variables)"
                #expect(call.shop == "main")
                #expect(!text.contains("Location/999") && !text.contains("InventoryItem/7001"), "\(text)")
            }
            let level = await simulator.state.quantities(
                shop: "main",
                item: "gid://shopify/InventoryItem/7000",
                location: "gid://shopify/Location/1"
            )
            #expect(level?.onHand == 5 + 3)
        }
    }

    @Test("the tokens appear in no output of a whole session: 401s, a failing TLS handshake, check --online")
    func tokensStaySecret() async throws {
        try await DaemonSystemdTests.withWorld(skus: ["A-1", "GONE"]) { simulator, directory in
            let config = "\(directory)/config.toml"
            let tlsToken = "shpat_tls_secret_\(UInt32.random(in: 0...UInt32.max))"
            try writeToken("\(tlsToken)\n", to: "\(directory)/tls.token")
            // A second store whose endpoint speaks plain HTTP to a TLS client: every handshake fails.
            let plain = simulator.baseURL(shop: "main")
            try
                (String(contentsOfFile: config, encoding: .utf8) + """

                    [stores.tls]
                    shop = "tls.myshopify.com"
                    default_location = "gid://shopify/Location/1"
                    endpoint = "\(plain.replacingOccurrences(of: "http://", with: "https://"))"
                    """).write(toFile: config, atomically: true, encoding: .utf8)
            try "sku,store,inventory_item_id,sync\nA-1,main,7000,true\nA-1,tls,7000,true\n".write(
                toFile: "\(directory)/catalog.csv",
                atomically: true,
                encoding: .utf8
            )
            var faults = SimulatorFaults()
            faults.unauthorized = ["main"]
            await simulator.state.setFaults(faults)
            let (daemon, port) = try await MetricsEndpointTests.startWithMetrics(directory)
            defer { daemon.signal(SIGKILL) }
            try DaemonSystemdTests.drop(directory, "m1.json", movement("m-1", "receipt", [("A-1", nil, 2)]))
            try await StoreLifecycleTests.waitFor("a 401 from main") {
                await simulator.state.calls().contains { $0.httpStatus == 401 }
            }
            await simulator.state.setFaults(SimulatorFaults())
            daemon.signal(SIGHUP)
            try await StoreLifecycleTests.waitFor("main to apply the movement") {
                await simulator.state.quantities(
                    shop: "main",
                    item: "gid://shopify/InventoryItem/7000",
                    location: "gid://shopify/Location/1"
                )?.onHand == 7
            }
            var outputs: [(String, String)] = [("daemon log", daemon.log)]
            let (body, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
            outputs.append(("metrics", String(decoding: body, as: UTF8.self)))
            for arguments in [["status"], ["status", "--json"], ["check", "--online"]] {
                let result = try await CommandLineTests.run(arguments + ["--config", config])
                outputs.append((arguments.joined(separator: " "), result.output))
            }
            #expect(outputs.last?.1.contains("tls") == true, "check --online names the failing store")
            daemon.signal(SIGTERM)
            _ = await daemon.waitForExit(timeout: .seconds(30))
            outputs.append(("daemon log after stop", daemon.log))
            // Every file the session left (reports, the ledger and its WAL, logs) but the token files themselves.
            let walker = FileManager.default.enumerator(atPath: directory)
            while let relative = walker?.nextObject() as? String {
                guard !relative.hasSuffix(".token") else { continue }
                let data = FileManager.default.contents(atPath: "\(directory)/\(relative)") ?? Data()
                outputs.append((relative, String(decoding: data, as: UTF8.self)))
            }
            #expect(outputs.count > 10)
            for (name, text) in outputs {
                #expect(!text.contains(DaemonSystemdTests.token), "the main token is in \(name)")
                #expect(!text.contains(tlsToken), "the tls token is in \(name)")
            }
            #expect(daemon.log.contains("401") || daemon.log.contains("unauthorized"), "\(daemon.log)")
            #expect(daemon.log.lowercased().contains("tls") || daemon.log.contains("SSL"), "\(daemon.log)")
        }
    }
}
