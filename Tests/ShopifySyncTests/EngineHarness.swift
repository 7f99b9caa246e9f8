import Foundation
import HummingbirdCore
import Logging
import ShopifySimulator
import Spool
import SyncState
import Systemd
import TestSupport
import Testing

@testable import ShopifySync

/// The test world: two shops in an in-process simulator, a config and catalog in a temporary folder, and the
/// daemon, built as the executable builds it, running on a real spool and a real SQLite file and talking to the
/// simulator over libcurl.
struct EngineWorld {
    static let main1 = "gid://shopify/Location/1"
    static let main2 = "gid://shopify/Location/2"
    static let au1 = "gid://shopify/Location/11"

    /// SKU -> (main item, au item); nil where the SKU is not in that store.
    static let items: [(sku: String, main: String?, au: String?)] = [
        ("TEE-RED-M", "gid://shopify/InventoryItem/1002", "gid://shopify/InventoryItem/2002"),
        ("TEE-RED-S", "gid://shopify/InventoryItem/1001", nil),
        ("CAP-BLK", "gid://shopify/InventoryItem/1009", nil),
        ("SOCK-3PK", "gid://shopify/InventoryItem/1011", nil),
        ("BOTTLE-750", nil, "gid://shopify/InventoryItem/2001"),
        ("HOODIE-GRY-M", "gid://shopify/InventoryItem/1007", nil),
    ]

    static let catalog = """
        sku,store,inventory_item_id,sync
        TEE-RED-M,main,gid://shopify/InventoryItem/1002,true
        TEE-RED-M,au,2002,true
        TEE-RED-S,main,gid://shopify/InventoryItem/1001,true
        CAP-BLK,main,gid://shopify/InventoryItem/1009,true
        SOCK-3PK,main,gid://shopify/InventoryItem/1011,true
        BOTTLE-750,au,gid://shopify/InventoryItem/2001,true
        HOODIE-GRY-M,main,gid://shopify/InventoryItem/1007,true
        MUG-01,main,gid://shopify/InventoryItem/1012,false
        POSTER-A2,main,,true
        GHOST,main,gid://shopify/InventoryItem/9999,true

        """

    /// The simulator's shops: every item at every location with on_hand `initial`; POSTER-A2 exists in Shopify
    /// (for lookups); GHOST is in the catalog but not in Shopify.
    static func shops(initial: Int = 10) -> [SimulatorShop] {
        var main: [SimulatorItem] = []
        var au: [SimulatorItem] = []
        for item in items {
            if let id = item.main {
                main.append(SimulatorItem(id: id, sku: item.sku, levels: [main1: initial, main2: initial]))
            }
            if let id = item.au { au.append(SimulatorItem(id: id, sku: item.sku, levels: [au1: initial])) }
        }
        main.append(
            SimulatorItem(
                id: "gid://shopify/InventoryItem/1013",
                sku: "POSTER-A2",
                levels: [main1: initial, main2: initial]
            )
        )
        return [
            SimulatorShop(name: "main", locations: [main1, main2], items: main),
            SimulatorShop(name: "au", locations: [au1], items: au),
        ]
    }

    let directory: String
    let configPath: String
    let simulator: RunningSimulator
    let runtime: SyncRuntime

    var spool: Spool { runtime.spool }
    var state: StateStore { runtime.state }

    /// Writes a request as a producer does: into tmp/, then renamed into pending/.
    func drop(_ name: String, _ json: String) throws {
        try drop(name, bytes: Array(json.utf8))
    }

    func drop(_ name: String, bytes: [UInt8]) throws {
        let temporary = "\(directory)/spool/tmp/.\(name)"
        try Data(bytes).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, "\(directory)/spool/pending/\(name)") == 0 else {
            throw SimulatorError("rename failed: \(errno)")
        }
    }

    /// Waits until `names` have all left pending/ and processing/.
    func waitFinished(_ names: [String], timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let done = names.allSatisfy { name in
                FileManager.default.fileExists(atPath: "\(directory)/spool/done/\(name)")
                    || FileManager.default.fileExists(atPath: "\(directory)/spool/failed/\(name)")
            }
            if done { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        let listing = (try? FileManager.default.subpathsOfDirectory(atPath: "\(directory)/spool")) ?? []
        Issue.record("timed out waiting for \(names); spool holds \(listing.sorted())")
        throw SimulatorError("timeout")
    }

    /// The report of a finished file and the folder it is in.
    func report(_ name: String) throws -> (folder: String, report: RequestReport) {
        for (folder, suffix) in [("done", ".result"), ("failed", ".error")] {
            let path = "\(directory)/spool/\(folder)/\(name)\(suffix)"
            if let data = FileManager.default.contents(atPath: path) {
                return (folder, try RequestReport.decode([UInt8](data)))
            }
        }
        throw SimulatorError("no report for \(name)")
    }

    /// Drops, waits, and returns the report.
    func run(_ name: String, _ json: String) async throws -> (folder: String, report: RequestReport) {
        try drop(name, json)
        try await waitFinished([name])
        return try report(name)
    }

    func onHand(_ shop: String, _ item: String, _ location: String) async -> Int? {
        await simulator.state.quantities(shop: shop, item: item, location: location)?.onHand
    }

    func available(_ shop: String, _ item: String, _ location: String) async -> Int? {
        await simulator.state.quantities(shop: shop, item: item, location: location)?.available
    }

    func calls(_ root: String? = nil) async -> [SimulatorCall] {
        await simulator.state.calls().filter { root == nil || $0.rootField == root }
    }
}

/// The simulator served over TLS: how it speaks, and the CA file each store trusts (`ca_file`).
struct EngineTLS {
    var server: HTTPServerBuilder
    var caFile: String?
}

/// Runs `body` with the daemon running in-process against an in-process simulator.
///
/// With `tls`, the simulator is reached at `https://127.0.0.1:PORT/<shop>` and both stores get its `ca_file`;
/// `logger` replaces the default one (which drops everything below critical) for tests that read the log.
///
/// The daemon is built by ``Daemon/init(configPath:logger:environment:notifier:clients:shutdownSignals:)``, the
/// executable's composition root, with `notifier` for sd_notify and no shutdown signals (the test process keeps
/// SIGTERM and SIGINT); it is cancelled when `body` returns.
func withEngine<T>(
    initial: Int = 10,
    simulatorOptions: (inout SimulatorOptions) -> Void = { _ in },
    extraConfig: String = "",
    mainStore: String = "",
    catalog: String = EngineWorld.catalog,
    withoutStore: String? = nil,
    notifier: SystemdNotifier = SystemdNotifier(socketPath: nil),
    tls: EngineTLS? = nil,
    logger givenLogger: Logger? = nil,
    _ body: (EngineWorld) async throws -> T
) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("engine-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var logger = Logger(label: "test")
    logger.logLevel = ProcessInfo.processInfo.environment["TEST_DEBUG"] == "1" ? .debug : .critical
    if let givenLogger { logger = givenLogger }
    var options = SimulatorOptions(shops: EngineWorld.shops(initial: initial))
    simulatorOptions(&options)
    return try await withSimulator(options, server: tls?.server ?? .http1(), logger: logger) { simulator in
        func endpoint(_ shop: String) -> String {
            tls == nil ? simulator.baseURL(shop: shop) : "https://\(simulator.host):\(simulator.port)/\(shop)"
        }
        let caFile = tls?.caFile.map { "ca_file = \"\($0)\"" } ?? ""
        let config = """
            spool_dir = "spool"
            state_dir = "state"
            catalog = "catalog.csv"
            rescan_interval_seconds = 1
            \(extraConfig)

            [stores.main]
            shop = "main.myshopify.com"
            token_file = "main.token"
            default_location = "\(EngineWorld.main1)"
            endpoint = "\(endpoint("main"))"
            \(caFile)
            \(mainStore)

            [stores.main.locations]
            WH1 = "\(EngineWorld.main1)"
            WH2 = "\(EngineWorld.main2)"

            [stores.au]
            shop = "au.myshopify.com"
            token_file = "au.token"
            default_location = "\(EngineWorld.au1)"
            endpoint = "\(endpoint("au"))"
            \(caFile)

            """
        let configPath = "\(directory)/config.toml"
        // `withoutStore` starts with that store's table left out (a test adds it back by reloading).
        let startConfig =
            withoutStore.map { store in
                config.components(separatedBy: "\n[stores.\(store)]")[0]
            } ?? config
        try startConfig.write(toFile: configPath, atomically: true, encoding: .utf8)
        try config.write(toFile: "\(directory)/config.full.toml", atomically: true, encoding: .utf8)
        try catalog.write(toFile: "\(directory)/catalog.csv", atomically: true, encoding: .utf8)
        try writeToken("token-main\n", to: "\(directory)/main.token")
        try writeToken("token-au\n", to: "\(directory)/au.token")
        let daemon = try Daemon(
            configPath: configPath,
            logger: logger,
            environment: [:],
            notifier: notifier,
            shutdownSignals: []
        )
        let world = EngineWorld(
            directory: directory,
            configPath: configPath,
            simulator: simulator,
            runtime: daemon.runtime
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await daemon.run() }
            defer { group.cancelAll() }
            let deadline = ContinuousClock.now + .seconds(30)
            while !FileManager.default.fileExists(atPath: "\(directory)/spool/pending") {
                guard ContinuousClock.now < deadline else {
                    throw SimulatorError("the daemon did not prepare the spool")
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            return try await body(world)
        }
    }
}

/// A movement request's JSON.
func movement(_ id: String, _ type: String, order: String? = nil, _ lines: [(String, String?, Int)]) -> String {
    let lineText = lines.map { sku, location, delta in
        "{\"sku\":\"\(sku)\"" + (location.map { ",\"location\":\"\($0)\"" } ?? "") + ",\"delta\":\(delta)}"
    }
    let orderText = order.map { ",\"order\":{\"store\":\"\($0)\",\"id\":\"1001\"}" } ?? ""
    return "{\"kind\":\"movement\",\"id\":\"\(id)\",\"movement_type\":\"\(type)\"\(orderText),\"lines\":["
        + lineText.joined(separator: ",") + "]}"
}
