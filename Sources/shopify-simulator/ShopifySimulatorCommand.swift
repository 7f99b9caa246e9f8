import ArgumentParser
import Foundation
import Logging
import ShopifySimulator

/// `shopify-simulator`: a local stand-in for the Shopify Admin GraphQL API.
@main
struct ShopifySimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shopify-simulator",
        abstract: "A local stand-in for the Shopify Admin GraphQL API (inventory calls, cost bucket, faults).",
        discussion: """
            Shops are reached at http://127.0.0.1:PORT/<store>/admin/api/<version>/graphql.json (the bare
            /admin/api/... path reaches the shop "default"). Inspect with GET /__sim/levels and /__sim/calls;
            change faults with POST /__sim/faults; add items with POST /__sim/items. A bulk query operation's
            result is served at GET /__sim/bulk/<N>.jsonl (its `url`), without a token and without cost.
            """
    )

    @Option(help: "The port to listen on (0 picks a free one).")
    var port = 0

    @Option(help: "The address to bind.")
    var host = "127.0.0.1"

    @Option(help: "A shopify-sync config: one shop per store, with its locations.")
    var config: String?

    @Option(help: "A shopify-sync catalog: seeds each store's items (needs --config).")
    var catalog: String?

    @Option(help: "on_hand (and available) of every seeded item at every location.")
    var initialOnHand = 0

    @Option(help: "Points restored per second in each shop's cost bucket.")
    var restoreRate: Double = 100

    @Option(help: "The cost bucket's size.")
    var bucket: Double = 2000

    @Option(help: "Share of GraphQL calls answered with a 5xx (0...1).")
    var failRate: Double = 0

    @Option(help: "The status of injected failures (default: 500, 502 and 503 in turn).")
    var failStatus: Int?

    @Option(help: "Share of mutation calls applied, then answered by breaking the connection (0...1).")
    var breakAfterApplyRate: Double = 0

    @Option(help: "The next this-many mutation calls are applied, then answered by breaking the connection.")
    var breakAfterApplyNext = 0

    @Option(help: "Milliseconds added before every GraphQL answer.")
    var latencyMs = 0

    @Option(help: "A shop whose calls are answered 401 (repeatable).")
    var unauthorized: [String] = []

    @Option(help: "The only access token every shop accepts (default: any non-empty token).")
    var token: String?

    @Option(help: "Milliseconds a bulk query operation runs before it completes.")
    var bulkRunningTimeMs = 200

    @Option(help: "A shop whose bulk query operations fail with ACCESS_DENIED (repeatable).")
    var bulkDenied: [String] = []

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func run() async throws {
        var logger = Logger(label: "shopify-simulator")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        var shops: [SimulatorShop]
        if let config {
            shops = try SimulatorSeed.shops(configPath: config, catalogPath: catalog, initialOnHand: initialOnHand)
        } else {
            guard catalog == nil else { throw ValidationError("--catalog needs --config (the stores' locations)") }
            shops = [SimulatorShop(name: "default", locations: ["gid://shopify/Location/1"], items: [])]
        }
        if let token {
            shops = shops.map { shop in
                var shop = shop
                shop.token = token
                return shop
            }
        }
        var faults = SimulatorFaults(
            failRate: failRate,
            failStatus: failStatus,
            latencyMs: latencyMs,
            unauthorized: Set(unauthorized),
            breakAfterApplyRate: breakAfterApplyRate,
            breakAfterApplyNext: breakAfterApplyNext
        )
        faults.bulkRunningTimeMs = bulkRunningTimeMs
        faults.bulkDenied = Set(bulkDenied)
        let options = SimulatorOptions(
            shops: shops,
            restoreRate: restoreRate,
            bucket: bucket,
            faults: faults,
            host: host,
            port: port
        )
        let seeded = shops
        try await runSimulator(options, logger: logger) { running in
            var text = ""
            for shop in seeded {
                text += "shop \(shop.name): \(shop.locations.count) locations, \(shop.items.count) items\n"
            }
            // The demo waits for this line; written unbuffered so a pipe sees it at once.
            text += "listening on \(running.baseURL)\n"
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
