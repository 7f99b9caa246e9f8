import Foundation
import ShopifyAPI
import ShopifySimulator
import ShopifySyncCore
import SyncState
import Testing

@testable import ShopifySync

/// No resend without the original key: calls whose answer never came, Shopify's error codes through the
/// simulator, and a retry clock that only counts an active outage.
@Suite(.timeLimit(.minutes(3)))
struct UnknownOutcomeTests {
    typealias W = EngineWorld
    static let capBlk = "gid://shopify/InventoryItem/1009"

    /// The idempotency keys of every adjust call the simulator received, in order.
    static func adjustKeys(_ world: EngineWorld) async -> [String] {
        await world.calls("inventoryAdjustQuantities").compactMap(\.idempotencyKey)
    }

    /// Drops a +3 receipt for CAP-BLK whose first call is applied and then loses its answer, with every call
    /// after it failing with 502 until the daemon gives up; returns the report.
    static func loseAnAppliedCall(_ world: EngineWorld, name: String = "lost.json") async throws -> RequestReport {
        await world.simulator.state.updateFaults {
            $0.breakAfterApplyNext = 1
            $0.failStatus = 502
            $0.retryAfterSeconds = 0
        }
        try world.drop(name, movement("lost-1", "receipt", [("CAP-BLK", "WH1", 3)]))
        // The first call is applied and its answer lost; from then on Shopify answers 502.
        let deadline = ContinuousClock.now + .seconds(20)
        while await world.calls("inventoryAdjustQuantities").isEmpty && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        await world.simulator.state.updateFaults { $0.failRate = 1 }
        try await world.waitFinished([name], timeout: .seconds(60))
        let (folder, report) = try world.report(name)
        #expect(folder == "failed")
        return report
    }

    @Test("an applied call whose answer was lost gives up as outcome_unknown; requeue resends its key: applied once")
    func requeueWithinTheWindow() async throws {
        try await withEngine(extraConfig: "max_retry_hours = 0.001") { world in
            let report = try await Self.loseAnAppliedCall(world)
            let line = report.lines?.first
            #expect(line?.errorCode == "outcome_unknown")
            #expect(line?.error?.contains("ss1-") == true, "the report does not name the key: \(line?.error ?? "")")
            #expect(line?.error?.contains("first sent") == true)
            #expect(await world.onHand("main", Self.capBlk, W.main1) == 13)
            let keys = await Self.adjustKeys(world)
            #expect(Set(keys).count == 1, "a retry went out under another key: \(keys)")

            await world.simulator.state.updateFaults { $0.failRate = 0 }
            try world.spool.requeue("lost.json")
            try await Task.sleep(for: .milliseconds(300))
            try await world.waitFinished(["lost.json"], timeout: .seconds(30))
            #expect(try world.report("lost.json").folder == "done")
            #expect(await world.onHand("main", Self.capBlk, W.main1) == 13, "the requeue applied the receipt twice")
            let after = await Self.adjustKeys(world)
            #expect(Set(after) == Set(keys), "the requeue sent a new key: \(after)")
            #expect(await world.calls("inventoryAdjustQuantities").last?.outcome == .replayed)
        }
    }

    @Test("the WMS dropping the same movement again within the window resends the held call with its key")
    func reDropWithinTheWindow() async throws {
        try await withEngine(extraConfig: "max_retry_hours = 0.001") { world in
            let report = try await Self.loseAnAppliedCall(world)
            #expect(report.lines?.first?.errorCode == "outcome_unknown")
            let keys = Set(await Self.adjustKeys(world))
            await world.simulator.state.updateFaults { $0.failRate = 0 }
            try world.drop("again.json", movement("lost-1", "receipt", [("CAP-BLK", "WH1", 3)]))
            try await world.waitFinished(["again.json"], timeout: .seconds(30))
            #expect(try world.report("again.json").folder == "done")
            #expect(await world.onHand("main", Self.capBlk, W.main1) == 13, "the re-drop applied the receipt twice")
            #expect(Set(await Self.adjustKeys(world)) == keys)
        }
    }

    @Test("past the idempotency window nothing is resent (outcome_unknown_expired), by requeue or by a WMS re-drop")
    func requeuePastTheWindow() async throws {
        // The window is 7.2 s; giving up takes 3.6 s of outage.
        try await withEngine(extraConfig: "max_retry_hours = 0.001\nidempotency_window_hours = 0.002") { world in
            _ = try await Self.loseAnAppliedCall(world)
            await world.simulator.state.updateFaults { $0.failRate = 0 }
            try await Task.sleep(for: .seconds(8))
            let calls = await world.calls().count

            try world.spool.requeue("lost.json")
            try await Task.sleep(for: .milliseconds(300))
            try await world.waitFinished(["lost.json"], timeout: .seconds(30))
            let (folder, report) = try world.report("lost.json")
            #expect(folder == "failed")
            #expect(report.lines?.first?.errorCode == "outcome_unknown_expired")
            #expect(report.lines?.first?.error?.contains("drift") == true)

            // The WMS drops the same movement again: the same rule.
            try world.drop("again.json", movement("lost-1", "receipt", [("CAP-BLK", "WH1", 3)]))
            try await world.waitFinished(["again.json"], timeout: .seconds(30))
            #expect(try world.report("again.json").report.lines?.first?.errorCode == "outcome_unknown_expired")
            #expect(await world.calls().count == calls, "something was sent past the window")
            #expect(await world.onHand("main", Self.capBlk, W.main1) == 13)
        }
    }

    @Test("requeue --resend-unknown past the window sends again under a new key")
    func resendUnknownPastTheWindow() async throws {
        try await withEngine(extraConfig: "max_retry_hours = 0.001\nidempotency_window_hours = 0.002") { world in
            // This time Shopify never applied it: every call fails before anything is applied.
            await world.simulator.state.updateFaults {
                $0.failRate = 1
                $0.failStatus = 502
                $0.retryAfterSeconds = 0
            }
            try world.drop("down.json", movement("down-1", "receipt", [("CAP-BLK", "WH1", 3)]))
            try await world.waitFinished(["down.json"], timeout: .seconds(60))
            let unknown = try world.report("down.json").report.lines?.first
            // Depending on the backoff's jitter the give-up may already fall past the short window.
            #expect(["outcome_unknown", "outcome_unknown_expired"].contains(unknown?.errorCode ?? ""))
            let heldKey = try #require(unknown?.error?.firstMatch(of: /ss1-[0-9a-f]{32}/)).output
            await world.simulator.state.updateFaults { $0.failRate = 0 }
            try await Task.sleep(for: .seconds(8))
            let commands = OperatorCommands(
                configPath: world.configPath,
                environment: [:],
                logger: world.runtime.logger
            )
            var output: [String] = []
            try commands.requeue(names: ["down.json"], all: false, resendUnknown: true) { output.append($0) }
            try await Task.sleep(for: .milliseconds(300))
            try await world.waitFinished(["down.json"], timeout: .seconds(30))
            #expect(try world.report("down.json").folder == "done")
            #expect(await world.onHand("main", Self.capBlk, W.main1) == 13)
            // The 502s were refused before Shopify read the key; the one applied call carries a new key.
            let applied = await world.calls("inventoryAdjustQuantities").filter { $0.outcome == .applied }
            #expect(applied.count == 1)
            #expect(applied.first?.idempotencyKey != nil && applied.first?.idempotencyKey != String(heldKey))
        }
    }

    /// What a whole-call userError of each class does to a +3 movement (CAP-BLK at 10) or a bulk sync to 20:
    /// the folder it ends in, the level, and how many keys were used.
    static func expected(_ kind: ShopifyErrorClass, applied: Int) -> (folder: String, level: Int, keys: Int) {
        switch kind {
        case .retrySameKey: ("done", applied, 1)
        case .reopenUnderNewKey: ("done", applied, 2)
        case .possiblyApplied, .failCall: ("failed", 10, 1)
        // Pointing at no row, a row-level code concerns the whole call (see ShopifyErrorClass.of).
        case .rereadRow: ("done", applied, 2)
        case .failRow: ("failed", 10, 1)
        }
    }

    @Test(
        "every userError code of both mutations through the simulator: retried, reopened or failed by its class",
        arguments: ShopifyErrorClass.adjustCodes.keys.sorted().map { ($0, InventoryMutation.adjust) }
            + ShopifyErrorClass.setCodes.keys.sorted().map { ($0, InventoryMutation.set) }
    )
    func everyErrorCode(code: String, mutation: InventoryMutation) async throws {
        try await withEngine { world in
            await world.simulator.state.updateFaults { $0.userErrorNext = [code] }
            let body =
                mutation == .adjust
                ? movement("coded-1", "receipt", [("CAP-BLK", "WH1", 3)])
                : BulkSyncTests.bulk("coded-1", store: "main", [("CAP-BLK", "WH1", 20)])
            try world.drop("coded.json", body)
            try await world.waitFinished(["coded.json"], timeout: .seconds(30))
            let (folder, report) = try world.report("coded.json")
            let kind = ShopifyErrorClass.of(userErrorCode: code, mutation: mutation, namesRow: false)
            let expected = Self.expected(kind, applied: mutation == .adjust ? 13 : 20)
            let line = report.lines?.first { $0.store == "main" }
            #expect(folder == expected.folder, "\(code) (\(kind)): \(line?.errorCode ?? "")")
            #expect(await world.onHand("main", Self.capBlk, W.main1) == expected.level, "\(code)")
            let keys = await world.calls(mutation.rawValue).compactMap(\.idempotencyKey)
            #expect(Set(keys).count == expected.keys, "\(code): keys \(keys)")
            if kind == .possiblyApplied {
                #expect(line?.errorCode == "outcome_unknown")
            } else if expected.folder == "failed" {
                #expect(line?.errorCode == code)
            }
        }
    }

    @Test("a long pause followed by one unavailable answer does not give up")
    func pauseDoesNotCount() async throws {
        try await withEngine(extraConfig: "max_retry_hours = 0.001") { world in
            // The first mutation Shopify executes after the pause answers SERVICE_UNAVAILABLE (the 401s come
            // before execution, so they do not use it up).
            await world.simulator.state.updateFaults {
                $0.unauthorized = ["main"]
                $0.userErrorNext = ["SERVICE_UNAVAILABLE"]
            }
            try world.drop("paused.json", movement("paused-1", "receipt", [("CAP-BLK", "WH1", 3)]))
            // Paused well past the 3.6 s of max_retry_hours.
            try await Task.sleep(for: .seconds(5))
            await world.simulator.state.updateFaults { $0.unauthorized = [] }
            try await world.waitFinished(["paused.json"], timeout: .seconds(60))
            #expect(try world.report("paused.json").folder == "done")
            #expect(await world.onHand("main", Self.capBlk, W.main1) == 13)
            #expect(Set(await Self.adjustKeys(world)).count == 1)
        }
    }
}

/// Intents as an upgrade or a damaged ledger leaves them: format 1 (no stored body) still resends, an intent
/// that cannot be read back fails its lines with a code instead of blocking its store.
@Suite(.timeLimit(.minutes(2)))
struct StoredIntentTests {
    typealias W = EngineWorld

    /// Registers a one-line movement for CAP-BLK +`delta` whose file sits in processing/, and writes its call
    /// down as `payload` (format `format`, no body), as a crash right after the intent's commit leaves it.
    static func plant(
        _ world: EngineWorld,
        id: String,
        delta: Int,
        payload: [UInt8],
        format: Int
    ) throws {
        let json = movement(id, "receipt", [("CAP-BLK", "WH1", delta)])
        try json.write(toFile: "\(world.directory)/spool/processing/\(id).json", atomically: true, encoding: .utf8)
        var line = LineRecord(
            ref: LineRef(requestID: id, line: 0, store: "main"),
            sku: "CAP-BLK",
            kind: .adjust,
            state: .pending,
            inventoryItem: "gid://shopify/InventoryItem/1009",
            location: W.main1,
            shopifyReason: "received",
            delta: delta
        )
        line.at = 0
        let planned = [line]
        _ = try world.state.register(
            id: id,
            contentHash: "planted-\(id)",
            kind: "movement",
            file: "\(id).json",
            info: nil,
            now: Date().timeIntervalSince1970
        ) { planned }
        _ = try world.state.createIntent(
            store: "main",
            kind: .adjust,
            idempotencyKey: "ss1-planted-\(id)",
            payload: payload,
            format: format,
            members: [line.ref],
            now: Date().timeIntervalSince1970
        )
        world.runtime.ringStores()
    }

    static func adjust(_ delta: Int, key: String) throws -> [UInt8] {
        try StoreWorker.encode(
            AdjustRequest(
                reason: "received",
                referenceDocumentURI: "gid://shopify-sync/SyncCall/\(key)",
                idempotencyKey: key,
                changes: [
                    InventoryChange(
                        inventoryItemID: "gid://shopify/InventoryItem/1009",
                        locationID: W.main1,
                        delta: delta
                    )
                ]
            )
        )
    }

    @Test("a poisoned intent fails its lines with unreadable_intent, once, and the store's next movement is applied")
    func poisonedIntent() async throws {
        try await withEngine { world in
            try Self.plant(world, id: "poison-1", delta: 3, payload: Array("not a request".utf8), format: 1)
            try await world.waitFinished(["poison-1.json"])
            let (folder, report) = try world.report("poison-1.json")
            #expect(folder == "failed")
            #expect(report.lines?.first?.errorCode == "unreadable_intent")
            let (nextFolder, _) = try await world.run(
                "next.json",
                movement("next-1", "receipt", [("CAP-BLK", "WH1", 2)])
            )
            #expect(nextFolder == "done")
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1009", W.main1) == 12)
        }
    }

    @Test("an intent of an unknown format is not sent: its lines fail, the store goes on")
    func unknownFormat() async throws {
        try await withEngine { world in
            try Self.plant(
                world,
                id: "future-1",
                delta: 3,
                payload: try Self.adjust(3, key: "ss1-planted-future-1"),
                format: 99
            )
            try await world.waitFinished(["future-1.json"])
            #expect(try world.report("future-1.json").report.lines?.first?.errorCode == "unreadable_intent")
            #expect(await world.calls("inventoryAdjustQuantities").isEmpty)
        }
    }

    @Test("an intent of format 1 (written before bodies were kept) is still resent with its key and applied once")
    func formatOneStillResends() async throws {
        try await withEngine { world in
            try Self.plant(
                world,
                id: "old-1",
                delta: 3,
                payload: try Self.adjust(3, key: "ss1-planted-old-1"),
                format: 1
            )
            try await world.waitFinished(["old-1.json"])
            #expect(try world.report("old-1.json").folder == "done")
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1009", W.main1) == 13)
            #expect(await world.calls("inventoryAdjustQuantities").map(\.idempotencyKey) == ["ss1-planted-old-1"])
        }
    }
}
