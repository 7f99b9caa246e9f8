import Foundation
import ShopifyAPI
import ShopifySimulator
import ShopifySyncCore
import SimulatorTestSupport
import Testing

/// The real client (`ShopifyClient` over libcurl) against the simulator: every call shopify-sync makes.
@Suite(.timeLimit(.minutes(1)))
struct ClientAgainstSimulatorTests {
    let location = SimulatorTestShops.shopLocation

    func client(_ simulator: RunningSimulator, shop: String = "default", token: String = "shpat_test") -> ShopifyClient
    {
        ShopifyClient(
            endpoint: simulator.baseURL(shop: shop),
            apiVersion: "2026-07",
            accessToken: token,
            transport: CurlTransport(label: "simulator-client-\(shop)")
        )
    }

    @Test func everyCallTheClientMakes() async throws {
        try await withTestSimulator(shops: [SimulatorTestShops.standard(name: "main", count: 3, onHand: 2)]) {
            simulator in
            let client = client(simulator, shop: "main")
            #expect(try await client.shopName() == "main")

            let adjust = try await client.adjustQuantities(
                AdjustRequest(
                    reason: "correction",
                    referenceDocumentURI: "gid://shopify-sync/SyncCall/a1",
                    idempotencyKey: "a1",
                    changes: [
                        InventoryChange(inventoryItemID: SimulatorTestShops.item(1), locationID: location, delta: 5)
                    ]
                )
            )
            #expect(adjust.userErrors.isEmpty)
            #expect(adjust.cost?.throttleStatus.maximumAvailable == 2000)

            let read = try await client.onHand(
                items: [SimulatorTestShops.item(1), SimulatorTestShops.item(2), SimulatorTestShops.unknownItem],
                locationID: location
            )
            #expect(read.onHand[SimulatorTestShops.item(1)] == .some(7))
            #expect(read.onHand[SimulatorTestShops.item(2)] == .some(2))
            #expect(read.onHand[SimulatorTestShops.unknownItem] == .some(nil))

            let set = try await client.setQuantities(
                SetRequest(
                    reason: "correction",
                    referenceDocumentURI: "gid://shopify-sync/SyncCall/s1",
                    idempotencyKey: "s1",
                    quantities: [
                        QuantitySet(
                            inventoryItemID: SimulatorTestShops.item(1),
                            locationID: location,
                            quantity: 1,
                            changeFromQuantity: 3
                        )
                    ]
                )
            )
            #expect(set.userErrors.map(\.code) == ["CHANGE_FROM_QUANTITY_STALE"])
            #expect(set.userErrors.first?.rowIndex == 0)

            let lookup = try await client.lookupSKU("SKU-3")
            #expect(lookup.inventoryItemIDs == [SimulatorTestShops.item(3)])
            #expect(try await client.lookupSKU("SKU-9").inventoryItemIDs == [])
        }
    }

    @Test func throttledAndUnauthorizedReachTheClientAsItsErrors() async throws {
        try await withTestSimulator(restoreRate: 1, bucket: 12) { simulator in
            let client = client(simulator)
            let request = AdjustRequest(
                reason: "correction",
                referenceDocumentURI: "gid://shopify-sync/SyncCall/t1",
                idempotencyKey: "t1",
                changes: [InventoryChange(inventoryItemID: SimulatorTestShops.item(1), locationID: location, delta: 1)]
            )
            let throttled = await #expect(throws: ShopifyError.self) { try await client.adjustQuantities(request) }
            #expect(throttled?.code == .throttled)

            await simulator.state.updateFaults { $0.unauthorized = ["default"] }
            let denied = await #expect(throws: ShopifyError.self) { try await client.shopName() }
            #expect(denied?.code == .accessDenied)
        }
    }
}

/// Shops seeded from a shopify-sync config and catalog.
@Suite
struct SimulatorSeedTests {
    @Test func seedsEveryStoreFromConfigAndCatalog() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sim-seed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = """
            spool_dir = "spool"
            state_dir = "state"
            catalog = "catalog.csv"

            [stores.main]
            shop = "acme.myshopify.com"
            token_file = "main.token"
            default_location = "gid://shopify/Location/1"
            endpoint = "http://127.0.0.1:8787/main"

            [stores.main.locations]
            WH1 = "gid://shopify/Location/1"
            WH2 = "gid://shopify/Location/2"

            [stores.au]
            shop = "acme-au.myshopify.com"
            token_file = "au.token"
            default_location = "gid://shopify/Location/11"
            endpoint = "http://127.0.0.1:8787/oz"
            """
        let catalog = """
            sku,store,inventory_item_id,sync
            A,main,gid://shopify/InventoryItem/1001,true
            B,main,1002,false
            C,main,,true
            A,au,gid://shopify/InventoryItem/2001,true
            """
        try config.write(to: folder.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)
        try catalog.write(to: folder.appendingPathComponent("catalog.csv"), atomically: true, encoding: .utf8)
        try "shpat_main\n".write(to: folder.appendingPathComponent("main.token"), atomically: true, encoding: .utf8)

        let shops = try SimulatorSeed.shops(
            configPath: folder.appendingPathComponent("config.toml").path,
            catalogPath: nil,
            initialOnHand: 4
        )
        let byName = Dictionary(uniqueKeysWithValues: shops.map { ($0.name, $0) })
        #expect(Set(byName.keys) == ["main", "oz"])
        let main = try #require(byName["main"])
        #expect(main.token == "shpat_main")
        #expect(Set(main.locations) == ["gid://shopify/Location/1", "gid://shopify/Location/2"])
        #expect(main.items.count == 3)
        let a = try #require(main.items.first { $0.sku == "A" })
        #expect(a.id == "gid://shopify/InventoryItem/1001")
        #expect(a.levels == ["gid://shopify/Location/1": 4, "gid://shopify/Location/2": 4])
        #expect(main.items.first { $0.sku == "B" }?.id == "gid://shopify/InventoryItem/1002")
        let c = try #require(main.items.first { $0.sku == "C" })
        #expect(c.id.hasPrefix("gid://shopify/InventoryItem/"))
        let oz = try #require(byName["oz"])
        #expect(oz.token == nil)
        #expect(oz.items.map(\.id) == ["gid://shopify/InventoryItem/2001"])
    }
}
