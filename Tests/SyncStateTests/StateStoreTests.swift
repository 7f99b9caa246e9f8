import Foundation
import GRDB
import ShopifySyncCore
import TestSupport
import Testing

@testable import SyncState

@Suite("StateStore: the ledger on a real SQLite file")
struct StateStoreTests {
    /// Runs `body` with a new database in a new temporary folder (removed afterwards) and the database's path.
    static func withStore<Result>(_ body: (StateStore, String) throws -> Result) throws -> Result {
        let folder = try makeTemporaryFolder(prefix: "sync-state-test")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/state/state.sqlite"
        return try body(try StateStore(path: path), path)
    }

    static func ref(_ request: String, _ line: Int, _ store: String = "main") -> LineRef {
        LineRef(requestID: request, line: line, store: store)
    }

    /// A pending adjust line of `delta` for `store`.
    static func line(_ request: String, _ line: Int, _ store: String = "main", delta: Int = 1) -> LineRecord {
        LineRecord(
            ref: ref(request, line, store),
            sku: "SKU-\(line)",
            kind: .adjust,
            state: .pending,
            inventoryItem: "gid://shopify/InventoryItem/\(line + 1)",
            location: "gid://shopify/Location/1",
            shopifyReason: "received",
            delta: delta
        )
    }

    /// Registers a movement `id` with `lines`, received at `now`.
    @discardableResult
    static func register(
        _ store: StateStore,
        _ id: String,
        hash: String = "hash",
        file: String? = nil,
        now: Double = 1_000,
        lines: [LineRecord]
    ) throws -> Registration {
        try store.register(
            id: id,
            contentHash: hash,
            kind: "movement",
            file: file ?? "\(id).json",
            info: nil,
            now: now
        ) { lines }
    }

    // MARK: - Registration

    @Test func registerNewStoresTheRequestAndItsLines() throws {
        try Self.withStore { store, _ in
            let planned = [Self.line("m-1", 0, "main"), Self.line("m-1", 0, "au"), Self.line("m-1", 1, "main")]
            let registration = try store.register(
                id: "m-1",
                contentHash: "h1",
                kind: "movement",
                file: "m-1.json",
                info: #"{"warnings":["ignored unknown field x"]}"#,
                now: 1_234.5
            ) { planned }
            #expect(registration == .new)
            let request = try #require(try store.request(id: "m-1"))
            #expect(request.contentHash == "h1")
            #expect(request.kind == "movement")
            #expect(request.spoolFile == "m-1.json")
            #expect(request.status == .active)
            #expect(request.attempts == 1)
            #expect(request.receivedAt == 1_234.5)
            #expect(request.finishedAt == nil)
            #expect(request.info == #"{"warnings":["ignored unknown field x"]}"#)
            let lines = try store.lines(requestID: "m-1")
            #expect(
                lines.map(\.ref) == [Self.ref("m-1", 0, "au"), Self.ref("m-1", 0, "main"), Self.ref("m-1", 1, "main")]
            )
            #expect(lines.allSatisfy { $0.state == .pending && $0.generation == 0 && $0.intentID == nil })
            #expect(lines[0].delta == 1)
            #expect(lines[0].shopifyReason == "received")
            #expect(lines[0].inventoryItem == "gid://shopify/InventoryItem/1")
            #expect(try store.request(id: "other") == nil)
        }
    }

    @Test func duplicateAndResumed() throws {
        try Self.withStore { store, _ in
            try Self.register(store, "m-1", lines: [Self.line("m-1", 0)])
            // Same id and content: the same file again is a restart; another file is a duplicate.
            #expect(try Self.register(store, "m-1", lines: []) == .resumed)
            #expect(
                try Self.register(store, "m-1", file: "again.json", lines: []) == .duplicate(existingFile: "m-1.json")
            )
            try store.update([LineUpdate(ref: Self.ref("m-1", 0), state: .applied)])
            try store.finishRequest(id: "m-1", status: .done, outcome: "applied", reason: nil, message: nil, now: 2_000)
            #expect(try Self.register(store, "m-1", lines: []) == .duplicate(existingFile: "m-1.json"))
            #expect(try Self.register(store, "m-1", file: "b.json", lines: []) == .duplicate(existingFile: "m-1.json"))
            // A duplicate plans nothing and changes nothing.
            #expect(try store.lines(requestID: "m-1").map(\.state) == [.applied])
            let request = try #require(try store.request(id: "m-1"))
            #expect(request.status == .done)
            #expect(request.outcome == "applied")
            #expect(request.finishedAt == 2_000)
        }
    }

    @Test func aBatchRegistersEachFileAsIfAlone() throws {
        try Self.withStore { store, _ in
            try Self.register(store, "old", lines: [Self.line("old", 0)])
            try store.finishRequest(id: "old", status: .done, outcome: "applied", reason: nil, message: nil, now: 2)
            let lines = [Self.line("m-1", 0)]
            let batch = [
                NewRequest(id: "m-1", contentHash: "h", kind: "movement", file: "a.json", info: nil) { lines },
                NewRequest(id: "m-1", contentHash: "h", kind: "movement", file: "b.json", info: nil) { [] },
                NewRequest(id: "m-1", contentHash: "other", kind: "movement", file: "c.json", info: nil) { [] },
                NewRequest(id: "old", contentHash: "hash", kind: "movement", file: "d.json", info: nil) { [] },
            ]
            let registrations = try store.registerAll(batch, now: 3, idempotencyWindow: 3_600)
            #expect(
                registrations == [
                    .new, .duplicate(existingFile: "a.json"), .conflict(existingFile: "a.json"),
                    .duplicate(existingFile: "old.json"),
                ]
            )
            #expect(try store.lines(requestID: "m-1").count == 1)
        }
    }

    @Test func linesOfManyRequestsInOneRead() throws {
        try Self.withStore { store, _ in
            try Self.register(store, "a", lines: [Self.line("a", 1), Self.line("a", 0)])
            try Self.register(store, "b", lines: [Self.line("b", 0)])
            try Self.register(store, "c", lines: [])
            let lines = try store.lines(requestIDs: ["a", "b", "c", "missing"])
            #expect(lines["a"]?.map(\.ref.line) == [0, 1])
            #expect(lines["b"]?.map(\.ref.line) == [0])
            #expect(lines["c"] == nil)
            #expect(lines["a"] == (try store.lines(requestID: "a")))
            #expect(try store.lines(requestIDs: []).isEmpty)
        }
    }

    @Test func finishedRequestsAreMarkedUntilTheirReportsAreSynced() throws {
        try Self.withStore { store, _ in
            for id in ["a", "b", "c"] { try Self.register(store, id, lines: []) }
            #expect(try store.unsyncedReports().isEmpty)
            try store.finishRequest(id: "a", status: .done, outcome: "applied", reason: nil, message: nil, now: 5)
            try store.finishRequest(id: "b", status: .failed, outcome: "failed", reason: nil, message: nil, now: 6)
            #expect(try store.unsyncedReports().map(\.id) == ["a", "b"])
            #expect(try store.markReportsSynced(except: ["b"]) == 1)
            #expect(try store.unsyncedReports().map(\.id) == ["b"])
            #expect(try store.markReportsSynced() == 1)
            #expect(try store.unsyncedReports().isEmpty)
        }
    }

    @Test(arguments: [RequestStatus.active, .done, .failed])
    func conflict(_ status: RequestStatus) throws {
        try Self.withStore { store, _ in
            try Self.register(store, "m-1", hash: "h1", lines: [Self.line("m-1", 0)])
            if status != .active {
                try store.finishRequest(id: "m-1", status: status, outcome: "x", reason: nil, message: nil, now: 2)
            }
            let registration = try Self.register(store, "m-1", hash: "h2", file: "other.json", lines: [])
            #expect(registration == .conflict(existingFile: "m-1.json"))
            #expect(try store.request(id: "m-1")?.status == status)
            #expect(try store.request(id: "m-1")?.contentHash == "h1")
        }
    }

    @Test func requeuedReopensFailedLinesOnly() throws {
        try Self.withStore { store, _ in
            try Self.register(
                store,
                "m-1",
                lines: [Self.line("m-1", 0), Self.line("m-1", 1), Self.line("m-1", 2)]
            )
            try store.update([
                LineUpdate(ref: Self.ref("m-1", 0), state: .applied, before: 5, after: 6),
                LineUpdate(ref: Self.ref("m-1", 1), state: .failed, errorCode: "http_500", error: "server error"),
                LineUpdate(ref: Self.ref("m-1", 2), state: .skipped, reason: .excluded),
            ])
            try store.finishRequest(
                id: "m-1",
                status: .failed,
                outcome: "failed",
                reason: "shopify_error",
                message: "1 line failed",
                now: 2_000
            )
            #expect(try store.completableRequests().isEmpty)

            #expect(try Self.register(store, "m-1", file: "m-1-retry.json", lines: []) == .requeued)
            let lines = try store.lines(requestID: "m-1")
            #expect(lines.map(\.state) == [.applied, .pending, .skipped])
            #expect(lines.map(\.generation) == [0, 1, 0])
            #expect(lines[0].after == 6)
            #expect(lines[1].errorCode == nil && lines[1].error == nil && lines[1].reason == nil)
            #expect(lines[2].reason == .excluded)
            let request = try #require(try store.request(id: "m-1"))
            #expect(request.status == .active)
            #expect(request.spoolFile == "m-1-retry.json")
            #expect(request.attempts == 2)
            #expect(request.outcome == nil && request.reason == nil && request.message == nil)
            #expect(request.finishedAt == nil)
            #expect(
                try store.openLines(store: "main", kind: .adjust, state: .pending, limit: 10).map(\.ref) == [
                    Self.ref("m-1", 1)
                ]
            )

            // Failing again and requeueing again raises the generation again.
            try store.update([LineUpdate(ref: Self.ref("m-1", 1), state: .failed, errorCode: "x")])
            try store.finishRequest(id: "m-1", status: .failed, outcome: "failed", reason: nil, message: nil, now: 3)
            #expect(try Self.register(store, "m-1", lines: []) == .requeued)
            #expect(try store.lines(requestID: "m-1").map(\.generation) == [0, 2, 0])
            #expect(try store.request(id: "m-1")?.attempts == 3)
        }
    }

    // MARK: - Open work

    @Test("the reads before every call go through lines_waiting, never over finished lines, and sort nothing")
    func readsBeforeEveryCallUseTheWaitingIndex() throws {
        try Self.withStore { store, path in
            for index in 0..<50 {
                try Self.register(store, "m-\(index)", lines: [Self.line("m-\(index)", 0)])
            }
            let queue = try DatabaseQueue(path: path)
            for (sql, arguments) in [
                (StateStore.openLinesSQL, ["main", "adjust", "pending", 10] as StatementArguments),
                (StateStore.deltasInSnapshotSQL, ["main"] as StatementArguments),
            ] {
                let plan = try queue.read { db in
                    try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                        .map { $0["detail"] as String }
                }
                #expect(plan.first?.contains("USING INDEX lines_waiting") == true, "\(plan)")
                #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
            }
        }
    }

    @Test func openLinesInTheOrderTheyWereRecorded() throws {
        try Self.withStore { store, _ in
            try Self.register(
                store,
                "z-first",
                now: 20,
                lines: [Self.line("z-first", 3), Self.line("z-first", 0, "au")]
            )
            try Self.register(store, "b-second", now: 20, lines: [Self.line("b-second", 0), Self.line("b-second", 1)])
            // Recorded last, though the clock went back: recording order, not the clock, decides.
            try Self.register(store, "a-third", now: 10, lines: [Self.line("a-third", 0)])
            var lookup = Self.line("c-lookup", 0)
            lookup.state = .lookup
            var set = Self.line("c-lookup", 1)
            set.kind = .set
            try Self.register(store, "c-lookup", now: 5, lines: [lookup, set])

            let open = try store.openLines(store: "main", kind: .adjust, state: .pending, limit: 10)
            #expect(
                open.map(\.ref) == [
                    Self.ref("z-first", 3), Self.ref("b-second", 0), Self.ref("b-second", 1), Self.ref("a-third", 0),
                ]
            )
            #expect(try store.openLines(store: "main", kind: .adjust, state: .pending, limit: 2).count == 2)
            #expect(
                try store.openLines(store: "au", kind: .adjust, state: .pending, limit: 10).map(\.ref) == [
                    Self.ref("z-first", 0, "au")
                ]
            )
            #expect(
                try store.openLines(store: "main", kind: .adjust, state: .lookup, limit: 10).map(\.ref) == [
                    Self.ref("c-lookup", 0)
                ]
            )
            #expect(
                try store.openLines(store: "main", kind: .set, state: .pending, limit: 10).map(\.ref) == [
                    Self.ref("c-lookup", 1)
                ]
            )
            #expect(try store.openLineCounts() == ["main": 6, "au": 1])
        }
    }

    @Test func openLinesLeaveOutIntentsAndFinishedRequests() throws {
        try Self.withStore { store, _ in
            try Self.register(store, "m-1", lines: [Self.line("m-1", 0), Self.line("m-1", 1), Self.line("m-1", 2)])
            try Self.register(store, "m-2", lines: [Self.line("m-2", 0)])
            _ = try store.createIntent(
                store: "main",
                kind: .adjust,
                idempotencyKey: "k1",
                payload: [1, 2, 3],
                members: [Self.ref("m-1", 0), Self.ref("m-1", 2)],
                now: 50
            )
            try store.finishRequest(id: "m-2", status: .failed, outcome: "failed", reason: nil, message: nil, now: 60)
            #expect(
                try store.openLines(store: "main", kind: .adjust, state: .pending, limit: 10).map(\.ref) == [
                    Self.ref("m-1", 1)
                ]
            )
        }
    }

    // MARK: - Intents

    @Test func settlingAnIntentFreesTheOtherMembersAndDeletesIt() throws {
        try Self.withStore { store, _ in
            try Self.register(store, "m-1", lines: [Self.line("m-1", 0), Self.line("m-1", 1), Self.line("m-1", 2)])
            let members = [Self.ref("m-1", 0), Self.ref("m-1", 1)]
            let intent = try store.createIntent(
                store: "main",
                kind: .adjust,
                idempotencyKey: "ss1-key",
                payload: Array("{\"query\":1}".utf8),
                members: members,
                now: 100
            )
            #expect(intent.store == "main")
            #expect(intent.idempotencyKey == "ss1-key")
            #expect(intent.attempts == 0)
            #expect(try store.intents(store: "main") == [intent])
            #expect(try store.intents(store: "au").isEmpty)
            #expect(try store.members(intentID: intent.id).map(\.ref) == members)
            #expect(
                try store.members(intentID: intent.id).allSatisfy {
                    $0.intentID == intent.id && $0.firstAttemptAt == 100
                }
            )

            try store.recordAttempt(intentID: intent.id, error: "HTTP 503")
            try store.recordAttempt(intentID: intent.id, error: "HTTP 502")
            let retried = try #require(try store.intents(store: "main").first)
            #expect(retried.attempts == 2)
            #expect(retried.lastError == "HTTP 502")
            #expect(retried.payload == intent.payload)

            try store.update(
                [LineUpdate(ref: Self.ref("m-1", 0), state: .applied, before: 3, after: 5)],
                settling: intent.id
            )
            #expect(try store.intents(store: "main").isEmpty)
            #expect(try store.members(intentID: intent.id).isEmpty)
            let lines = try store.lines(requestID: "m-1")
            #expect(lines.map(\.state) == [.applied, .pending, .pending])
            #expect(lines.map(\.intentID) == [nil, nil, nil])
            #expect(lines[0].before == 3 && lines[0].after == 5)
            #expect(
                try store.openLines(store: "main", kind: .adjust, state: .pending, limit: 10).map(\.ref) == [
                    Self.ref("m-1", 1), Self.ref("m-1", 2),
                ]
            )

            // A second intent keeps the first attempt time of a line that was already tried.
            let second = try store.createIntent(
                store: "main",
                kind: .adjust,
                idempotencyKey: "ss1-key-2",
                payload: [],
                members: [Self.ref("m-1", 1), Self.ref("m-1", 2)],
                now: 200
            )
            #expect(second.id != intent.id)
            #expect(try store.members(intentID: second.id).map(\.firstAttemptAt) == [100, 200])
        }
    }

    @Test func updateWithoutSettlingKeepsTheIntent() throws {
        try Self.withStore { store, _ in
            try Self.register(store, "m-1", lines: [Self.line("m-1", 0), Self.line("m-1", 1)])
            let intent = try store.createIntent(
                store: "main",
                kind: .adjust,
                idempotencyKey: "k",
                payload: [0],
                members: [Self.ref("m-1", 0), Self.ref("m-1", 1)],
                now: 1
            )
            try store.update([LineUpdate(ref: Self.ref("m-1", 0), state: .pending, countReread: true)])
            #expect(try store.intents(store: "main").map(\.id) == [intent.id])
            #expect(try store.members(intentID: intent.id).map(\.ref) == [Self.ref("m-1", 1)])
            #expect(try store.lines(requestID: "m-1").map(\.rereads) == [1, 0])
        }
    }

    @Test func intentsSurviveReopeningTheDatabase() throws {
        let folder = try makeTemporaryFolder(prefix: "sync-state-test")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/state.sqlite"
        let payload = Array(#"{"query":"mutation","variables":{"input":{"changes":[]}}}"#.utf8) + [0, 255]
        let intent: StoredIntent
        do {
            let store = try StateStore(path: path)
            try Self.register(store, "m-1", lines: [Self.line("m-1", 0), Self.line("m-1", 1)])
            intent = try store.createIntent(
                store: "main",
                kind: .set,
                idempotencyKey: "ss1-crash",
                payload: payload,
                members: [Self.ref("m-1", 1)],
                now: 77
            )
        }
        let reopened = try StateStore(path: path)
        let intents = try reopened.intents(store: "main")
        #expect(intents == [intent])
        #expect(intents.first?.payload == payload)
        #expect(intents.first?.kind == .set)
        #expect(try reopened.members(intentID: intent.id).map(\.ref) == [Self.ref("m-1", 1)])
        #expect(
            try reopened.openLines(store: "main", kind: .adjust, state: .pending, limit: 10).map(\.ref) == [
                Self.ref("m-1", 0)
            ]
        )
        // A read-only view (status) sees the same.
        let readOnly = try StateStore(path: path, readOnly: true)
        #expect(try readOnly.intents(store: "main") == [intent])
    }

    @Test func duplicateIdempotencyKeysAreRefused() throws {
        try Self.withStore { store, _ in
            try Self.register(store, "m-1", lines: [Self.line("m-1", 0)])
            _ = try store.createIntent(
                store: "main",
                kind: .adjust,
                idempotencyKey: "k",
                payload: [],
                members: [],
                now: 1
            )
            #expect(throws: (any Error).self) {
                try store.createIntent(
                    store: "main",
                    kind: .adjust,
                    idempotencyKey: "k",
                    payload: [],
                    members: [],
                    now: 2
                )
            }
            #expect(try store.intents(store: "main").count == 1)
        }
    }

    // MARK: - Completion

    @Test func completableRequests() throws {
        try Self.withStore { store, _ in
            try Self.register(store, "open", now: 1, lines: [Self.line("open", 0), Self.line("open", 1)])
            var lookup = Self.line("waiting", 0)
            lookup.state = .lookup
            try Self.register(store, "waiting", now: 2, lines: [lookup])
            var skipped = Self.line("all-skipped", 0)
            skipped.state = .skipped
            skipped.reason = .excluded
            try Self.register(store, "all-skipped", now: 4, lines: [skipped])
            try Self.register(store, "empty", now: 3, lines: [])
            try Self.register(store, "finished", now: 0, lines: [])
            try store.finishRequest(
                id: "finished",
                status: .done,
                outcome: "applied",
                reason: nil,
                message: nil,
                now: 5
            )

            #expect(try store.completableRequests().map(\.id) == ["empty", "all-skipped"])
            try store.update([
                LineUpdate(ref: Self.ref("open", 0), state: .applied),
                LineUpdate(ref: Self.ref("open", 1), state: .failed, errorCode: "x"),
            ])
            #expect(try store.completableRequests().map(\.id) == ["open", "empty", "all-skipped"])
            try store.update([LineUpdate(ref: Self.ref("waiting", 0), state: .skipped, reason: .noInventoryItem)])
            #expect(try store.completableRequests().map(\.id) == ["open", "waiting", "empty", "all-skipped"])
            #expect(try store.openLineCounts().isEmpty)
        }
    }

    // MARK: - SKU cache

    @Test func skuCache() throws {
        try Self.withStore { store, _ in
            #expect(try store.cachedSKU(store: "main", sku: "TEE") == nil)
            try store.cacheSKU(store: "main", sku: "TEE", inventoryItem: nil, status: .missing, now: 10)
            #expect(
                try store.cachedSKU(store: "main", sku: "TEE")
                    == SKUCacheEntry(inventoryItem: nil, status: .missing, checkedAt: 10, loggedAt: nil)
            )
            try store.cacheSKU(
                store: "main",
                sku: "TEE",
                inventoryItem: "gid://shopify/InventoryItem/5",
                status: .found,
                now: 20
            )
            try store.cacheSKU(store: "au", sku: "TEE", inventoryItem: nil, status: .ambiguous, now: 30)
            #expect(
                try store.cachedSKU(store: "main", sku: "TEE")
                    == SKUCacheEntry(
                        inventoryItem: "gid://shopify/InventoryItem/5",
                        status: .found,
                        checkedAt: 20,
                        loggedAt: nil
                    )
            )
            #expect(try store.cachedSKU(store: "au", sku: "TEE")?.status == .ambiguous)
            #expect(try store.cachedSKU(store: "au", sku: "MUG") == nil)
        }
    }

    @Test func skuMissIsLoggedOncePerHour() throws {
        try Self.withStore { store, _ in
            try store.cacheSKU(store: "main", sku: "TEE", inventoryItem: nil, status: .missing, now: 0)
            try store.cacheSKU(store: "main", sku: "MUG", inventoryItem: nil, status: .missing, now: 0)
            #expect(try store.shouldLogSKUMiss(store: "main", sku: "TEE", now: 1_000))
            #expect(try store.cachedSKU(store: "main", sku: "TEE")?.loggedAt == 1_000)
            #expect(try !store.shouldLogSKUMiss(store: "main", sku: "TEE", now: 1_001))
            #expect(try !store.shouldLogSKUMiss(store: "main", sku: "TEE", now: 4_599))
            #expect(try store.shouldLogSKUMiss(store: "main", sku: "MUG", now: 1_001))
            #expect(try store.shouldLogSKUMiss(store: "main", sku: "TEE", now: 4_600))
            #expect(try !store.shouldLogSKUMiss(store: "main", sku: "TEE", now: 5_000))
            // A fresh lookup result does not reset the hour.
            try store.cacheSKU(store: "main", sku: "TEE", inventoryItem: nil, status: .missing, now: 5_100)
            #expect(try !store.shouldLogSKUMiss(store: "main", sku: "TEE", now: 5_200))
        }
    }

    // MARK: - Stores and files

    @Test func storeStateUpsert() throws {
        try Self.withStore { store, _ in
            #expect(try store.storeStates().isEmpty)
            try store.setStoreState(store: "main", state: .ok, reason: nil, success: true, now: 10)
            try store.setStoreState(store: "main", state: .backoff, reason: "HTTP 503", error: "HTTP 503", now: 20)
            try store.setStoreState(store: "au", state: .disabled, reason: "enabled = false", now: 30)
            var states = try store.storeStates()
            #expect(
                states["main"]
                    == StoreStateRecord(
                        store: "main",
                        state: .backoff,
                        reason: "HTTP 503",
                        lastSuccess: 10,
                        lastError: "HTTP 503",
                        updatedAt: 20
                    )
            )
            #expect(states["au"]?.state == .disabled)
            #expect(states["au"]?.lastSuccess == nil)
            try store.setStoreState(store: "main", state: .ok, reason: nil, success: true, now: 40)
            states = try store.storeStates()
            #expect(states["main"]?.state == .ok)
            #expect(states["main"]?.reason == nil)
            #expect(states["main"]?.lastSuccess == 40)
            #expect(states["main"]?.lastError == "HTTP 503")
            #expect(states.count == 2)
        }
    }

    @Test func recentFailuresNewestFirst() throws {
        try Self.withStore { store, _ in
            #expect(try store.recentFailures(limit: 5).isEmpty)
            for index in 0..<6 {
                try store.recordFileEvent(
                    FileEvent(
                        name: "f\(index).json",
                        folder: index == 2 ? "done" : "failed",
                        outcome: index == 2 ? "duplicate" : "refused",
                        reason: index == 2 ? nil : "malformed_json",
                        message: "event \(index)",
                        at: Double(index)
                    )
                )
            }
            let failures = try store.recentFailures(limit: 3)
            #expect(failures.map(\.name) == ["f5.json", "f4.json", "f3.json"])
            #expect(
                failures.first
                    == FileEvent(
                        name: "f5.json",
                        folder: "failed",
                        outcome: "refused",
                        reason: "malformed_json",
                        message: "event 5",
                        at: 5
                    )
            )
            #expect(
                try store.recentFailures(limit: 10).map(\.name) == [
                    "f5.json", "f4.json", "f3.json", "f1.json", "f0.json",
                ]
            )
        }
    }

    // MARK: - Unknown values

    @Test(
        "a value this version does not know fails loudly instead of being read as a default",
        arguments: [
            ("UPDATE lines SET state = 'flying'", "lines.state"),
            ("UPDATE lines SET kind = 'teleport'", "lines.kind"),
            ("UPDATE lines SET reason = 'because'", "lines.reason"),
            ("UPDATE requests SET status = 'limbo'", "requests.status"),
        ]
    )
    func unknownValuesFailLoudly(sql: String, column: String) throws {
        try Self.withStore { store, path in
            try Self.register(store, "m-1", lines: [Self.line("m-1", 0)])
            // Written behind the store's back, as a newer version or damage would leave it.
            try DatabaseQueue(path: path).write { try $0.execute(sql: sql) }
            let error = #expect(throws: LedgerCorruption.self) {
                _ = try store.lines(requestID: "m-1")
                _ = try store.request(id: "m-1")
            }
            #expect(error.map { "\($0.table).\($0.column)" } == column)
            #expect(error?.description.contains("does not know") == true)
        }
    }

    @Test("an unknown store state and an intent's unknown kind fail loudly too")
    func unknownStoreStateAndIntentKind() throws {
        try Self.withStore { store, path in
            try store.setStoreState(store: "main", state: .ok, reason: nil, now: 1)
            try Self.register(store, "m-1", lines: [Self.line("m-1", 0)])
            _ = try store.createIntent(
                store: "main",
                kind: .adjust,
                idempotencyKey: "k",
                payload: [],
                members: [Self.ref("m-1", 0)],
                now: 1
            )
            try DatabaseQueue(path: path).write { db in
                try db.execute(sql: "UPDATE store_state SET state = 'sleepy'")
                try db.execute(sql: "UPDATE intents SET kind = 'teleport'")
            }
            #expect(throws: LedgerCorruption.self) { try store.storeStates() }
            #expect(throws: LedgerCorruption.self) { try store.intents(store: "main") }
        }
    }

    // MARK: - Retention

    @Test("ledger retention removes old done requests and their lines; failed, recent and held ones stay")
    func ledgerRetention() throws {
        try Self.withStore { store, _ in
            for (id, finished, status) in [
                ("old", 100.0, RequestStatus.done), ("new", 900, .done), ("bad", 100, .failed),
            ] {
                try Self.register(store, id, lines: [Self.line(id, 0)])
                try store.update([LineUpdate(ref: Self.ref(id, 0), state: status == .done ? .applied : .failed)])
                try store.finishRequest(id: id, status: status, outcome: "x", reason: nil, message: nil, now: finished)
            }
            // A done request whose line a held call still carries stays too.
            try Self.register(store, "held", lines: [Self.line("held", 0)])
            let intent = try store.createIntent(
                store: "main",
                kind: .adjust,
                idempotencyKey: "k-held",
                payload: [],
                members: [Self.ref("held", 0)],
                now: 50
            )
            try store.update(
                [LineUpdate(ref: Self.ref("held", 0), state: .failed, errorCode: "outcome_unknown")],
                holding: intent.id
            )
            try store.finishRequest(id: "held", status: .done, outcome: "x", reason: nil, message: nil, now: 100)

            #expect(try store.removeFinished(before: 500) == 1)
            #expect(try store.request(id: "old") == nil)
            #expect(try store.lines(requestID: "old").isEmpty)
            #expect(try store.request(id: "new") != nil)
            #expect(try store.request(id: "bad") != nil)
            #expect(try store.request(id: "held") != nil)
            // Forgotten: the same id again is a new request.
            #expect(try Self.register(store, "old", lines: [Self.line("old", 0)]) == .new)
        }
    }

    // MARK: - The file

    /// SQLite's header says WAL in bytes 18 and 19 (file format write and read versions 2) once WAL is on.
    @Test func walModeIsOn() throws {
        try Self.withStore { store, path in
            try Self.register(store, "m-1", lines: [Self.line("m-1", 0)])
            let header = try #require(FileHandle(forReadingAtPath: path)?.readData(ofLength: 100))
            #expect(header.count == 100)
            #expect(String(decoding: header.prefix(15), as: UTF8.self) == "SQLite format 3")
            #expect(header[18] == 2 && header[19] == 2, "journal_mode is not wal")
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        }
    }

    /// GRDB sets `synchronous = NORMAL` when it turns WAL on; the writer must still commit at FULL, so a commit
    /// that precedes a Shopify call or a rename is on disk before it.
    @Test func writerCommitsAtSynchronousFull() throws {
        try Self.withStore { store, path in
            #expect(try store.writerSynchronousMode() == 2, "the writer connection is not at synchronous = FULL")
            try Self.register(store, "m-1", lines: [Self.line("m-1", 0)])
            let reopened = try StateStore(path: path)
            #expect(try reopened.writerSynchronousMode() == 2, "a reopened ledger is not at synchronous = FULL")
        }
    }

    @Test func createsItsFolderAndMigratesOnce() throws {
        let folder = try makeTemporaryFolder(prefix: "sync-state-test")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/a/b/state.sqlite"
        do {
            let store = try StateStore(path: path)
            try Self.register(store, "m-1", lines: [Self.line("m-1", 0)])
        }
        let again = try StateStore(path: path)
        #expect(again.path == path)
        #expect(try again.lines(requestID: "m-1").count == 1)
        #expect(try Self.register(again, "m-1", lines: []) == .resumed)
    }
}
