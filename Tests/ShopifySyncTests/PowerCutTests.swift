import Foundation
import Logging
import ShopifySimulator
import TestSupport
import Testing

/// Exactly once under power cuts: the daemon runs over a folder where a cut throws away every write, entry and
/// rename not yet synced (Tests/PowerCut/powercut.c), is cut just before one of its sync points, and after the
/// restart Shopify's levels equal the expected sums exactly, every request is in done/ with its report.
///
/// Sync points are the daemon's own fsync and fdatasync calls. A first run counts them; the test then cuts
/// before every one of them (or before `POWERCUT_POINTS` points spread over the range), every second time
/// again during the recovery run.
@Suite(.serialized, .timeLimit(.minutes(30)))
struct PowerCutTests {
    static let points = ProcessInfo.processInfo.environment["POWERCUT_POINTS"] ?? "all"

    static let skus = (0..<6).map { String(format: "PC-%02d", $0) }
    static let main1 = TwoStoreWorld.main1
    static let main2 = TwoStoreWorld.main2
    static let au1 = TwoStoreWorld.au1
    static func mainItem(_ index: Int) -> String { TwoStoreWorld.mainItem(index) }
    static func auItem(_ index: Int) -> String { TwoStoreWorld.auItem(index) }

    /// Ten movements of one to four lines on two stores, and the level change each (store, item, location) expects.
    static func workload() -> (files: [(String, String)], expected: [String: Int]) {
        var generator = SplitMix(seed: 0x5EED)
        var expected: [String: Int] = [:]
        var files: [(String, String)] = []
        for number in 0..<10 {
            var lines: [String] = []
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<skus.count, using: &generator)
                let second = Bool.random(using: &generator)
                let delta = Int.random(in: 1...9, using: &generator) * (Bool.random(using: &generator) ? 1 : -1)
                lines.append(
                    "{\"sku\":\"\(skus[index])\",\"location\":\"\(second ? "WH2" : "WH1")\",\"delta\":\(delta)}"
                )
                expected["main|\(mainItem(index))|\(second ? main2 : main1)", default: 0] += delta
                if index % 2 == 0 { expected["au|\(auItem(index))|\(au1)", default: 0] += delta }
            }
            files.append(
                (
                    "p-\(number).json",
                    "{\"kind\":\"movement\",\"id\":\"p-\(number)\",\"movement_type\":\"adjustment\",\"lines\":[\(lines.joined(separator: ","))]}"
                )
            )
        }
        return (files, expected)
    }

    /// One world: a fresh simulator and root folder; the daemon runs once per cut (nil: no cut), each run ending
    /// in a power cut (the shim's, or a SIGKILL once all is done) and a restore, then once more without the shim.
    /// Returns the sync points of the first run and how many calls Shopify saw again under a key it had seen.
    @discardableResult
    static func trial(cuts: [Int?]) async throws -> (syncPoints: Int, replays: Int, cut: Bool) {
        let shops = TwoStoreWorld.shops(skus: skus, main: 100, au: 100)
        var logger = Logger(label: "powercut-sim")
        logger.logLevel = .critical
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("powercut-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let root = "\(directory)/world"
        try FileManager.default.createDirectory(atPath: "\(root)/spool/pending", withIntermediateDirectories: true)
        let (files, expected) = workload()
        return try await withSimulator(SimulatorOptions(shops: shops), logger: logger) { simulator in
            try TwoStoreWorld.write(to: root, skus: skus, simulator: simulator)
            // The WMS's own writes are its business: they are made here, outside the shim, and count as synced.
            for (name, body) in files {
                try body.write(toFile: "\(root)/spool/pending/.\(name)", atomically: false, encoding: .utf8)
                rename("\(root)/spool/pending/.\(name)", "\(root)/spool/pending/\(name)")
            }
            let logPath = "\(directory)/daemon.log"
            var firstRunPoints = 0
            var firstRunCut = false
            for (index, cut) in cuts.enumerated() {
                let logFolder = "\(directory)/cut-\(index)"
                try PowerCut.prepare(logFolder: logFolder, root: root)
                let daemon = try ChildDaemon(
                    config: "\(root)/config.toml",
                    logPath: logPath,
                    environment: PowerCut.environment(root: root, logFolder: logFolder, at: cut)
                )
                let deadline = ContinuousClock.now + .seconds(60)
                while daemon.process.isRunning && !drained(root, files.count) && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                await daemon.killHard()
                let summary = try PowerCut.summary(logFolder)
                if index == 0 { (firstRunPoints, firstRunCut) = (summary.syncPoints, summary.cut) }
                // Not cut: the run was over (all drained) before it reached that many sync points.
                if let cut, !summary.cut {
                    #expect(summary.syncPoints < cut, "run \(index) passed sync point \(cut) uncut")
                }
                try PowerCut.restore(logFolder: logFolder)
            }
            let daemon = try ChildDaemon(config: "\(root)/config.toml", logPath: "\(directory)/final.log")
            let deadline = ContinuousClock.now + .seconds(90)
            // Started (its signals handled), and done.
            while !(daemon.log.contains("shopify-sync started") && drained(root, files.count))
                && ContinuousClock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(50))
            }
            daemon.signal(SIGTERM)
            let status = await daemon.waitForExit(timeout: .seconds(40))
            let context = "cuts \(cuts.map { $0.map(String.init) ?? "none" }); daemon log:\n\(daemon.log.suffix(3000))"
            #expect(status == 0, "\(context)")
            let done = (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/spool/done")) ?? []
            let failed = (try? FileManager.default.contentsOfDirectory(atPath: "\(root)/spool/failed")) ?? []
            #expect(failed.isEmpty, "failed/: \(failed); \(context)")
            for (name, _) in files {
                #expect(done.contains(name), "\(name) is not in done/; \(context)")
                let report = FileManager.default.contents(atPath: "\(root)/spool/done/\(name).result") ?? Data()
                #expect(
                    (try? JSONSerialization.jsonObject(with: report)) != nil,
                    "\(name).result is not a whole report (\(report.count) bytes); \(context)"
                )
            }
            for (key, delta) in expected {
                let parts = key.split(separator: "|").map(String.init)
                let level = await simulator.state.quantities(shop: parts[0], item: parts[1], location: parts[2])
                #expect(
                    level?.onHand == 100 + delta,
                    "\(key): expected \(100 + delta), Shopify has \(String(describing: level)); \(context)"
                )
            }
            let keys = await simulator.state.calls().compactMap(\.idempotencyKey)
            return (firstRunPoints, keys.count - Set(keys).count, firstRunCut)
        }
    }

    /// Every request is finished (in done/ or failed/) and nothing waits.
    static func drained(_ root: String, _ count: Int) -> Bool {
        let files = FileManager.default
        let waiting =
            ((try? files.contentsOfDirectory(atPath: "\(root)/spool/pending")) ?? [])
            + ((try? files.contentsOfDirectory(atPath: "\(root)/spool/processing")) ?? [])
        guard waiting.filter({ !$0.hasPrefix(".") }).isEmpty else { return false }
        let finished =
            ((try? files.contentsOfDirectory(atPath: "\(root)/spool/done")) ?? [])
            + ((try? files.contentsOfDirectory(atPath: "\(root)/spool/failed")) ?? [])
        return finished.filter { $0.hasSuffix(".json") }.count == count
            && finished.filter { $0.hasSuffix(".result") || $0.hasSuffix(".error") }.count == count
    }

    /// Runs `script` (sh, from a new root holding a/ and b/ and `files`) under the shim, then puts the root
    /// back as a power cut at the script's end would leave it; returns the files under the root then, and what
    /// the restore undid.
    static func cutAfter(_ script: String, files: [String: String]) throws -> (read: [String: String], undone: [String])
    {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("powercut-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let root = "\(directory)/world"
        let logFolder = "\(directory)/cut"
        try FileManager.default.createDirectory(atPath: "\(root)/a", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(root)/b", withIntermediateDirectories: true)
        for (path, text) in files { try text.write(toFile: "\(root)/\(path)", atomically: false, encoding: .utf8) }
        try PowerCut.prepare(logFolder: logFolder, root: root)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "cd \(root)\n" + script]
        process.environment = try PowerCut.environment(root: root, logFolder: logFolder, at: nil)
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let undone = try PowerCut.restore(logFolder: logFolder)
        var read: [String: String] = [:]
        for folder in ["a", "b"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: "\(root)/\(folder)") {
                read["\(folder)/\(name)"] = try String(contentsOfFile: "\(root)/\(folder)/\(name)", encoding: .utf8)
            }
        }
        return (read, undone)
    }

    @Test("the model: an unsynced write, entry and rename are gone after the cut; synced ones stay")
    func shimModel() throws {
        // Writes a file and syncs it and its folder; overwrites another without a sync; makes an entry it never
        // syncs; renames a file into a folder it does not sync.
        let (read, undone) = try Self.cutAfter(
            """
            printf new > a/synced && sync a/synced && sync a
            printf new > a/kept
            printf lost > b/unsynced
            mv a/moved b/moved
            """,
            files: ["a/kept": "old", "a/moved": "old"]
        )
        #expect(read["a/synced"] == "new", "\(undone)")
        #expect(read["a/kept"] == "old", "\(undone)")
        #expect(read["b/unsynced"] == nil, "\(undone)")
        #expect(read["a/moved"] == "old", "\(undone)")
        #expect(read["b/moved"] == nil, "\(undone)")
    }

    @Test("the model: a syncfs of the root's filesystem keeps every write and entry made before it, none after")
    func shimModelSyncfs() throws {
        // `sync -f` is syncfs(2). The shim keeps its list of unsynced files per process, as the daemon is one: the
        // write after the sync comes from a new process, which has not written the file before.
        let (read, undone) = try Self.cutAfter(
            """
            printf new > a/kept
            printf made > b/made
            mv a/kept b/kept
            sync -f a
            printf lost > b/after
            sh -c 'printf newer > b/kept'
            """,
            files: ["a/kept": "old"]
        )
        #expect(read["b/made"] == "made", "\(undone)")
        #expect(read["b/kept"] == "new", "\(undone)")
        #expect(read["a/kept"] == nil, "\(undone)")
        #expect(read["b/after"] == nil, "\(undone)")
    }

    @Test("a power cut before any sync point of the run and of its recovery: same levels, nothing twice")
    func cutAtSyncPoints() async throws {
        // A first run with no cut but the SIGKILL at its end counts the sync points.
        let total = try await Self.trial(cuts: [nil]).syncPoints
        #expect(total > 20, "only \(total) sync points in a run of ten movements")
        let cuts: [Int]
        if Self.points == "all" {
            cuts = Array(1...total)
        } else {
            let count = max(1, Int(Self.points) ?? 14)
            cuts = (0..<count).map { 1 + $0 * (total - 1) / max(1, count - 1) }
        }
        var replays = 0
        var made = 0
        for (index, cut) in cuts.enumerated() {
            // Every second trial is cut again in its recovery run, early, where recovery does its work.
            let trial = try await Self.trial(cuts: index % 2 == 1 ? [cut, 1 + (index * 5) % 12] : [cut])
            replays += trial.replays
            if trial.cut { made += 1 }
        }
        // A run's sync points vary a little with timing: the last cut or two may come after its end.
        #expect(made >= cuts.count - 3, "only \(made) of \(cuts.count) runs were cut")
        print(
            "power cut: \(total) sync points in a whole run; \(made) runs cut, each before a different one; "
                + "\(replays) calls resent under their first key"
        )
    }
}
