import Foundation
import Logging
import ShopifySimulator
import TestSupport
import Testing

/// SIGKILL torture with every Shopify fault at once: movements and hard syncs mixed, the daemon killed at random
/// moments while Shopify answers 5xx (20%), 429 (Retry-After in seconds and as an HTTP date), 401 for a while,
/// THROTTLED (its bucket drained by someone else), latency spikes of a second, and applies calls and then
/// breaks the connection (10%). Afterwards every file is in done/ with its report, and Shopify's levels are
/// the WMS's own: each delta once, each snapshot by the snapshot rule.
///
/// `TORTURE_MOVEMENTS` (default 1,200), `TORTURE_KILLS` (default 12) and `TORTURE_401_SECONDS` (default 3) size
/// it; `make torture` runs 10,000 movements, 50 kills and a 401 period of a minute.
@Suite(.serialized, .timeLimit(.minutes(60)))
struct TortureTests {
    static let movements = Int(ProcessInfo.processInfo.environment["TORTURE_MOVEMENTS"] ?? "") ?? 1_200
    static let kills = Int(ProcessInfo.processInfo.environment["TORTURE_KILLS"] ?? "") ?? 12
    /// How long the first 401 period lasts (later ones last a round).
    static let unauthorizedSeconds = Int(ProcessInfo.processInfo.environment["TORTURE_401_SECONDS"] ?? "") ?? 3

    static let skus = (0..<40).map { String(format: "TT-%03d", $0) }
    static let main1 = TwoStoreWorld.main1
    static let main2 = TwoStoreWorld.main2
    static let au1 = TwoStoreWorld.au1
    static func mainItem(_ index: Int) -> String { TwoStoreWorld.mainItem(index) }
    static func auItem(_ index: Int) -> String { TwoStoreWorld.auItem(index) }

    /// The fault mix of one round (a round ends in a kill).
    static func faults(round: Int) -> SimulatorFaults {
        var faults = SimulatorFaults(failRate: 0.2, retryAfterSeconds: 1, breakAfterApplyRate: 0.1)
        switch round % 5 {
        case 1: faults.latencyMs = 1_000
        case 2: faults.unauthorized = ["main"]
        case 3:
            // Retry-After as an HTTP date, and every second time as seconds.
            faults.failStatus = 429
            faults.retryAfterAsDate = round / 5 % 2 == 0
        default: break
        }
        return faults
    }

    @Test("kills at random moments under every fault: nothing lost, nothing applied twice, snapshots kept")
    func torture() async throws {
        let (skus, main1, main2, au1) = (Self.skus, Self.main1, Self.main2, Self.au1)
        func mainItem(_ index: Int) -> String { Self.mainItem(index) }
        func auItem(_ index: Int) -> String { Self.auItem(index) }
        var generator = SplitMix(seed: 0x7047_7572)
        let started = ContinuousClock.now
        // au has one location, which both WMS locations map to: it holds their sum.
        let shops = TwoStoreWorld.shops(skus: skus, main: 1000, au: 2000)
        var logger = Logger(label: "torture-sim")
        logger.logLevel = .critical
        let directory = try makeTemporaryFolder(prefix: "torture")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: "\(directory)/spool/pending", withIntermediateDirectories: true)
        try await withSimulator(SimulatorOptions(shops: shops), logger: logger) { simulator in
            try TwoStoreWorld.write(to: directory, skus: skus, simulator: simulator)

            // The WMS's own stock, moved by each movement at its own instant; every 300 movements a hard sync
            // of the whole stock as of the instant after the last movement it includes.
            let origin = Date().addingTimeInterval(-86_400)
            func instant(_ seconds: Double) -> String {
                let formatter = ISO8601DateFormatter()
                formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
                return formatter.string(from: origin.addingTimeInterval(seconds))
            }
            var stock: [String: Int] = [:]
            for sku in skus {
                stock["\(sku)|WH1"] = 1000
                stock["\(sku)|WH2"] = 1000
            }
            var files: [(String, String)] = []
            var hardSyncs = 0
            for number in 0..<Self.movements {
                var lines: [String] = []
                for _ in 0..<Int.random(in: 1...6, using: &generator) {
                    let sku = skus[Int.random(in: 0..<skus.count, using: &generator)]
                    let location = Bool.random(using: &generator) ? "WH2" : "WH1"
                    let delta = Int.random(in: 1...9, using: &generator) * (Bool.random(using: &generator) ? 1 : -1)
                    lines.append("{\"sku\":\"\(sku)\",\"location\":\"\(location)\",\"delta\":\(delta)}")
                    stock["\(sku)|\(location)", default: 0] += delta
                }
                let body =
                    "{\"kind\":\"movement\",\"id\":\"t-\(number)\",\"movement_type\":\"adjustment\","
                    + "\"occurred_at\":\"\(instant(Double(number)))\",\"lines\":[\(lines.joined(separator: ","))]}"
                files.append(("t-\(number).json", body))
                if number % 97 == 0 { files.append(("t-\(number)-again.json", body)) }
                if number % 300 == 150 {
                    let items = stock.sorted { $0.key < $1.key }.map { key, onHand in
                        let parts = key.split(separator: "|")
                        return "{\"sku\":\"\(parts[0])\",\"location\":\"\(parts[1])\",\"on_hand\":\(onHand)}"
                    }
                    files.append(
                        (
                            "h-\(number).json",
                            "{\"kind\":\"bulk_sync\",\"id\":\"h-\(number)\",\"scope\":\"all\","
                                + "\"as_of\":\"\(instant(Double(number) + 0.5))\",\"items\":[\(items.joined(separator: ","))]}"
                        )
                    )
                    hardSyncs += 1
                }
            }

            let logPath = "\(directory)/daemon.log"
            var dropped = 0
            var submitted = 0
            var slowestSubmit = Duration.zero
            func dropSome(_ count: Int) async throws {
                for (name, body) in files.dropFirst(dropped).prefix(count) {
                    if submitted * 40 < dropped {
                        // Some through `submit`, which must never wait for Shopify.
                        try body.write(toFile: "\(directory)/\(name)", atomically: true, encoding: .utf8)
                        let start = ContinuousClock.now
                        let result = try await CommandLineTests.run([
                            "submit", "--config", "\(directory)/config.toml", "\(directory)/\(name)",
                        ])
                        slowestSubmit = max(slowestSubmit, start.duration(to: .now))
                        #expect(result.status == 0, "submit \(name): \(result.output)")
                        submitted += 1
                    } else {
                        try body.write(
                            toFile: "\(directory)/spool/pending/.\(name)",
                            atomically: false,
                            encoding: .utf8
                        )
                        rename("\(directory)/spool/pending/.\(name)", "\(directory)/spool/pending/\(name)")
                    }
                    dropped += 1
                }
            }
            for round in 0..<Self.kills {
                await simulator.state.setFaults(Self.faults(round: round))
                if round % 5 == 4 {
                    await simulator.state.drainBucket(shop: "main")
                    await simulator.state.drainBucket(shop: "au")
                }
                try await dropSome(files.count / Self.kills + 1)
                let daemon = try ChildDaemon(config: "\(directory)/config.toml", logPath: logPath)
                try await Task.sleep(for: .milliseconds(Int64.random(in: 300...2_500, using: &generator)))
                if round == 2 {
                    // The first 401 period: the store pauses, probes, and goes on once the token works again.
                    try await Task.sleep(for: .seconds(Self.unauthorizedSeconds))
                }
                await daemon.killHard()
            }
            // The last run drains everything under 5xx and apply-then-break still.
            await simulator.state.setFaults(Self.faults(round: 0))
            try await dropSome(files.count)
            let done = try await TwoStoreWorld.drainAndStop(
                directory,
                logPath: logPath,
                timeout: .seconds(Int64(120 + Self.movements / 20))
            )
            #expect(done.filter { $0.hasSuffix(".json") }.count == files.count)
            #expect(done.filter { $0.hasSuffix(".result") }.count == files.count)
            var wrong = 0
            for index in skus.indices {
                let wh1 = stock["\(skus[index])|WH1"] ?? 0
                let wh2 = stock["\(skus[index])|WH2"] ?? 0
                var expected = [("main", mainItem(index), main1, wh1), ("main", mainItem(index), main2, wh2)]
                if index % 2 == 0 { expected.append(("au", auItem(index), au1, wh1 + wh2)) }
                for (shop, item, location, onHand) in expected {
                    let level = await simulator.state.quantities(shop: shop, item: item, location: location)
                    if level?.onHand != onHand {
                        wrong += 1
                        Issue.record(
                            "\(shop) \(skus[index]) \(location): expected \(onHand), Shopify has \(String(describing: level))"
                        )
                    }
                }
            }
            let calls = await simulator.state.calls()
            let applied = calls.filter { $0.outcome == .applied }.compactMap(\.idempotencyKey)
            #expect(applied.count == Set(applied).count, "a key was applied twice")
            let kinds = Dictionary(grouping: calls, by: { $0.detail ?? "HTTP \($0.httpStatus)" }).mapValues(\.count)
            #expect(slowestSubmit < .seconds(5), "submit took \(slowestSubmit)")
            print(
                "torture: \(Self.kills) kills, \(Self.movements) movements and \(hardSyncs) hard syncs in \(files.count) files, "
                    + "\(submitted) by submit (slowest \(slowestSubmit)), \(calls.count) calls "
                    + "(\(calls.filter(\.connectionBroken).count) broken after apply; \(kinds.filter { $0.key != "HTTP 200" })), "
                    + "\(wrong) levels wrong, in \(started.duration(to: .now))"
            )
        }
    }

    @Test("a state folder that cannot be made at start: exit 74 and a message naming the path")
    func unwritableStateFolder() async throws {
        try await DaemonSystemdTests.withWorld(skus: ["A-1", "GONE"]) { _, directory in
            // A file where the state folder's parent should be: no one, not even root, can make a folder in it.
            try "not a folder\n".write(toFile: "\(directory)/blocked", atomically: true, encoding: .utf8)
            let config = "\(directory)/config.toml"
            let text = try String(contentsOfFile: config, encoding: .utf8)
            try text.replacingOccurrences(of: "state_dir = \"state\"", with: "state_dir = \"blocked/state\"")
                .write(toFile: config, atomically: true, encoding: .utf8)
            let daemon = try ChildDaemon(config: config, logPath: "\(directory)/daemon.log")
            #expect(await daemon.waitForExit(timeout: .seconds(20)) == 74, "\(daemon.log)")
            #expect(daemon.log.contains("\(directory)/blocked"), "\(daemon.log)")
        }
    }
}
