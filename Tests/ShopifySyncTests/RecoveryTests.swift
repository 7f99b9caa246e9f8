import Foundation
import Testing

@testable import ShopifySync

/// Start-up recovery of what a previous run left in processing/.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct RecoveryTests {
    @Test("recovery takes processing/ in the ledger's order, then the files it never recorded by name")
    func recoveryOrder() {
        let order = SpoolProcessor.recoveryOrder(
            ["b.json", "a.json", "z.json", "c.json"],
            ledgerOrder: ["z.json", "gone.json", "b.json", "z.json"]
        )
        #expect(order == ["z.json", "b.json", "a.json", "c.json"])
    }

    @Test("a request finished in the ledger but still in processing/ is moved on without being sent again")
    func finishedButNotMoved() async throws {
        try await DaemonSystemdTests.withWorld(skus: ["A-1", "GONE"]) { simulator, directory in
            let spool = "\(directory)/spool"
            try DaemonSystemdTests.drop(directory, "r.json", movement("r-1", "receipt", [("A-1", nil, 4)]))
            var daemon = try ChildDaemon(config: "\(directory)/config.toml", logPath: "\(directory)/daemon.log")
            while !FileManager.default.fileExists(atPath: "\(spool)/done/r.json.result") {
                try await Task.sleep(for: .milliseconds(20))
            }
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit(timeout: .seconds(35)) == 0)
            let calls = await simulator.state.calls().count

            // The state a crash leaves between recording the outcome and moving the file.
            try FileManager.default.moveItem(atPath: "\(spool)/done/r.json", toPath: "\(spool)/processing/r.json")
            try FileManager.default.removeItem(atPath: "\(spool)/done/r.json.result")
            daemon = try ChildDaemon(config: "\(directory)/config.toml", logPath: "\(directory)/daemon.log")
            while !FileManager.default.fileExists(atPath: "\(spool)/done/r.json.result") {
                try await Task.sleep(for: .milliseconds(20))
            }
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit(timeout: .seconds(35)) == 0)
            #expect(!FileManager.default.fileExists(atPath: "\(spool)/processing/r.json"))
            #expect(await simulator.state.calls().count == calls)
            let level = await simulator.state.quantities(
                shop: "main",
                item: "gid://shopify/InventoryItem/7000",
                location: "gid://shopify/Location/1"
            )
            #expect(level?.onHand == 9)
            let report = try String(contentsOfFile: "\(spool)/done/r.json.result", encoding: .utf8)
            #expect(report.contains("\"outcome\" : \"applied\""))
        }
    }
}

extension RecoveryTests {
    @Test("a report a power cut left empty is rewritten at start, even beside a whole duplicate report of its id")
    func emptyReportIsRewrittenBesideADuplicate() async throws {
        try await WorkerSeamTests.withWorld { runtime, processor, simulator, directory in
            let done = "\(directory)/spool/done"
            try WorkerSeamTests.drop(directory, "r1", delta: 2)
            try processor.scan()
            await StoreWorker(store: "main", runtime: runtime).run(wakes: WorkerSeamTests.wakes(1))
            try processor.finishCompleted()
            // The WMS drops the same file again: a duplicate, finished as r1.json.1 with a report of the same id.
            try WorkerSeamTests.drop(directory, "r1", delta: 2)
            try processor.scan()
            let duplicate = try String(contentsOfFile: "\(done)/r1.json.1.result", encoding: .utf8)
            #expect(duplicate.contains("\"duplicate\""))
            // The power cut came before the filesystem sync: r1.json's report is empty on disk.
            try Data().write(to: URL(fileURLWithPath: "\(done)/r1.json.result"))
            try processor.recover()
            let report =
                try JSONSerialization.jsonObject(
                    with: try Data(contentsOf: URL(fileURLWithPath: "\(done)/r1.json.result"))
                ) as? [String: Any]
            #expect(report?["outcome"] as? String == "applied")
            #expect(report?["id"] as? String == "r1")
            #expect(await WorkerSeamTests.level(simulator) == 7)
            #expect(try runtime.state.unsyncedReports().isEmpty)
        }
    }
}
