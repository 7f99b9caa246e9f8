import Foundation
import Logging
import ShopifyAPI
import ShopifySyncCore
import Spool
import SyncState
import Systemd
import TestSupport
import Testing

@testable import ShopifySync

/// The reload and retention services driven through their seams with scripted triggers: no signals, no
/// timers, no waiting for a clock.
@Suite(.timeLimit(.minutes(1)))
struct ServiceSeamTests {
    static let config = """
        spool_dir = "spool"
        state_dir = "state"
        catalog = "catalog.csv"
        done_retention_days = 14
        ledger_retention_days = 30
        [stores.main]
        shop = "main.myshopify.com"
        default_location = "gid://shopify/Location/1"
        endpoint = "http://127.0.0.1:9/main"
        """

    /// A runtime over a config, catalog, ledger and spool in a temporary folder.
    static func withRuntime<T>(
        now: @escaping @Sendable () -> Date = { Date() },
        _ body: (SyncRuntime, String) async throws -> T
    ) async throws -> T {
        let directory = try makeTemporaryFolder(prefix: "service-seams")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try config.write(toFile: "\(directory)/config.toml", atomically: true, encoding: .utf8)
        try "sku,store,inventory_item_id,sync\nA-1,main,7000,true\n".write(
            toFile: "\(directory)/catalog.csv",
            atomically: true,
            encoding: .utf8
        )
        return try await body(try runtime(directory, clients: { _ in [:] }, now: now), directory)
    }

    /// A runtime over `directory`'s config.toml and catalog (store `main`), with its spool prepared and its
    /// ledger in state/; `clients` builds the Shopify clients from the loaded config.
    static func runtime(
        _ directory: String,
        clients: (SyncConfig) -> [String: any InventoryAPI],
        now: @escaping @Sendable () -> Date = { Date() },
        monotonicNow: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) throws -> SyncRuntime {
        var logger = Logger(label: "seams")
        logger.logLevel = .critical
        let loaded = try SyncConfig.load(path: "\(directory)/config.toml", environment: [:])
        let spool = Spool(root: .init("\(directory)/spool"), maxFileSize: loaded.maxFileSize, logger: logger)
        try spool.prepare()
        return SyncRuntime(
            config: loaded,
            catalog: try Catalog.load(path: loaded.catalogPath, knownStores: ["main"]),
            state: try StateStore(path: "\(directory)/state/state.sqlite"),
            spool: spool,
            clients: clients(loaded),
            health: WorkLoopHealth(),
            logger: logger,
            now: now,
            monotonicNow: monotonicNow
        )
    }

    static func triggers(_ items: [ReloadService.Trigger]) -> AsyncStream<ReloadService.Trigger> {
        AsyncStream { continuation in
            for item in items { continuation.yield(item) }
            continuation.finish()
        }
    }

    @Test("reload: a changed catalog is taken; a bad config is refused and kept; an added store is announced")
    func reload() async throws {
        try await Self.withRuntime { runtime, directory in
            try await NotifyListener.withListener { listener in
                let added = AsyncStream<String>.makeStream()
                let service = ReloadService(
                    runtime: runtime,
                    notifier: SystemdNotifier(socketPath: listener.path),
                    configPath: "\(directory)/config.toml",
                    environment: [:],
                    addedStores: added.continuation
                )
                try "sku,store,inventory_item_id,sync\nA-1,main,7000,true\nB-2,main,7001,true\n".write(
                    toFile: "\(directory)/catalog.csv",
                    atomically: true,
                    encoding: .utf8
                )
                await service.run(triggers: Self.triggers([.catalogChanged]))
                #expect(runtime.current.catalog.entries(forSKU: "B-2").count == 1)
                #expect(listener.lines.isEmpty, "a catalog change is not a systemd reload")

                try "this is = = not toml".write(toFile: "\(directory)/config.toml", atomically: true, encoding: .utf8)
                await service.run(triggers: Self.triggers([.signal]))
                try await listener.waitFor("READY=1")
                #expect(listener.lines.first == "RELOADING=1")
                #expect(runtime.current.config.storeNames == ["main"], "a refused config replaced the running one")

                try (Self.config + "\n[stores.au]\nshop = \"au.myshopify.com\"\ndefault_location = \"1\"\n").write(
                    toFile: "\(directory)/config.toml",
                    atomically: true,
                    encoding: .utf8
                )
                await service.run(triggers: Self.triggers([.signal]))
                added.continuation.finish()
                var announced: [String] = []
                for await name in added.stream { announced.append(name) }
                #expect(announced == ["au"])
                #expect(runtime.current.config.storeNames == ["au", "main"])
                #expect(runtime.client("au") != nil, "the new store's client was not swapped in with its config")
            }
        }
    }

    @Test("retention: one tick removes old done/ files and old done requests from the ledger, and nothing newer")
    func retention() async throws {
        // The runtime's clock is fixed: the cutoffs are exact, whatever the machine's time.
        let fixed = Date(timeIntervalSince1970: 1_800_000_000)
        let clock: @Sendable () -> Date = { fixed }
        try await Self.withRuntime(now: clock) { runtime, directory in
            let done = "\(directory)/spool/done"
            let old = fixed.addingTimeInterval(-20 * 86_400)
            for name in ["old.json", "old.json.result", "new.json", "new.json.result"] {
                #expect(FileManager.default.createFile(atPath: "\(done)/\(name)", contents: Data("{}".utf8)))
                let modified = name.hasPrefix("old") ? old : fixed.addingTimeInterval(-86_400)
                try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: "\(done)/\(name)")
            }
            let now = fixed.timeIntervalSince1970
            // Just past and just within the 30 days of ledger_retention_days.
            for (id, age) in [("r-old", 30.01), ("r-new", 29.99)] {
                _ = try runtime.state.register(
                    id: id,
                    contentHash: id,
                    kind: "movement",
                    file: "\(id).json",
                    info: nil,
                    now: now - age * 86_400
                ) { [] }
                try runtime.state.finishRequest(
                    id: id,
                    status: .done,
                    outcome: "applied",
                    reason: nil,
                    message: nil,
                    now: now - age * 86_400
                )
            }
            await RetentionService(runtime: runtime).run(
                ticks: AsyncStream {
                    $0.yield()
                    $0.finish()
                }
            )
            let left = try FileManager.default.contentsOfDirectory(atPath: done).sorted()
            #expect(left == ["new.json", "new.json.result"])
            #expect(try runtime.state.request(id: "r-old") == nil)
            #expect(try runtime.state.request(id: "r-new") != nil)
        }
    }
}
