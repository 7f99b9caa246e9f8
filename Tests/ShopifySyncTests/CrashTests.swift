import Foundation
import Logging
import ShopifySimulator
import ShopifySyncCore
import TestSupport
import Testing

/// Exactly once under crashes: a real daemon killed with SIGKILL at random moments while the simulator applies
/// calls and then breaks the connection; after restarts the levels equal the expected sums exactly.
///
/// `CRASH_RUNS` (default 2) sets how many independent runs; each makes `CRASH_KILLS` (default 6) kills.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct CrashTests {
    static let runs = Int(ProcessInfo.processInfo.environment["CRASH_RUNS"] ?? "") ?? 2
    static let kills = Int(ProcessInfo.processInfo.environment["CRASH_KILLS"] ?? "") ?? 6

    @Test("SIGKILL at random moments loses nothing and applies nothing twice", arguments: 1...runs)
    func killAndRestart(run: Int) async throws {
        var generator = SplitMix(seed: UInt64(run) &* 0x9E37_79B9)
        let skus = (0..<40).map { String(format: "SKU-%03d", $0) }
        let (main1, main2, au1) = (TwoStoreWorld.main1, TwoStoreWorld.main2, TwoStoreWorld.au1)
        func mainItem(_ index: Int) -> String { TwoStoreWorld.mainItem(index) }
        func auItem(_ index: Int) -> String { TwoStoreWorld.auItem(index) }
        let shops = TwoStoreWorld.shops(skus: skus, main: 1000, au: 1000)
        var logger = Logger(label: "crash-sim")
        logger.logLevel = .critical
        var options = SimulatorOptions(shops: shops)
        options.faults.breakAfterApplyRate = 0.25
        options.faults.latencyMs = 5
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: "\(directory)/spool/pending", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withSimulator(options, logger: logger) { simulator in
            try TwoStoreWorld.write(to: directory, skus: skus, simulator: simulator)

            // 120 movements of 1-8 lines; some re-dropped as duplicates.
            var expected: [String: Int] = [:]
            var files: [(String, String)] = []
            for number in 0..<120 {
                var lines: [String] = []
                for _ in 0..<Int.random(in: 1...8, using: &generator) {
                    let index = Int.random(in: 0..<skus.count, using: &generator)
                    let useWH2 = Bool.random(using: &generator)
                    var delta = Int.random(in: -9...9, using: &generator)
                    if delta == 0 { delta = 1 }
                    lines.append(
                        "{\"sku\":\"\(skus[index])\",\"location\":\"\(useWH2 ? "WH2" : "WH1")\",\"delta\":\(delta)}"
                    )
                    expected["main|\(mainItem(index))|\(useWH2 ? main2 : main1)", default: 0] += delta
                    if index % 2 == 0 { expected["au|\(auItem(index))|\(au1)", default: 0] += delta }
                }
                let body =
                    "{\"kind\":\"movement\",\"id\":\"m-\(number)\",\"movement_type\":\"adjustment\",\"lines\":[\(lines.joined(separator: ","))]}"
                files.append(("m-\(number).json", body))
                if number % 10 == 0 { files.append(("m-\(number)-again.json", body)) }
            }
            let logPath = "\(directory)/daemon.log"
            var dropped = 0
            func dropSome(_ count: Int) throws {
                for (name, body) in files.dropFirst(dropped).prefix(count) {
                    try body.write(toFile: "\(directory)/spool/pending/.\(name)", atomically: false, encoding: .utf8)
                    rename("\(directory)/spool/pending/.\(name)", "\(directory)/spool/pending/\(name)")
                }
                dropped = min(files.count, dropped + count)
            }
            for _ in 0..<Self.kills {
                try dropSome(files.count / Self.kills + 1)
                let daemon = try ChildDaemon(config: "\(directory)/config.toml", logPath: logPath)
                try await Task.sleep(for: .milliseconds(Int64.random(in: 150...900, using: &generator)))
                await daemon.killHard()
            }
            try dropSome(files.count)
            let done = try await TwoStoreWorld.drainAndStop(directory, logPath: logPath, timeout: .seconds(120))
            #expect(done.filter { !$0.hasSuffix(".result") }.count == files.count)
            for (key, delta) in expected {
                let parts = key.split(separator: "|").map(String.init)
                let level = await simulator.state.quantities(shop: parts[0], item: parts[1], location: parts[2])
                #expect(
                    level?.onHand == 1000 + delta,
                    "\(key): expected \(1000 + delta), Shopify has \(String(describing: level))"
                )
            }
            let broken = await simulator.state.calls().filter(\.connectionBroken).count
            print(
                "crash run \(run): \(Self.kills) kills, \(files.count) files, \(broken) connections broken after apply"
            )
        }
    }
}

/// A small seeded generator, so a failing run can be repeated.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
