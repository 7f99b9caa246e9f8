import Foundation
import ShopifyAPI
import Testing

private let emptyMutation = HTTPResponse(
    status: 200,
    headers: [],
    body: Array(
        #"{"data":{"inventoryAdjustQuantities":{"inventoryAdjustmentGroup":null,"userErrors":[]},"inventorySetQuantities":{"inventoryAdjustmentGroup":null,"userErrors":[]}}}"#
            .utf8
    )
)

@Suite struct RequestEncodingTests {
    /// A resend under a key carries the bytes of the first send: the body kept with the intent is what
    /// ``ShopifyClient/adjustQuantities(_:)`` sends, and ``ShopifyClient/sendWrite(_:body:)`` posts it unchanged.
    @Test func aStoredBodyIsWhatIsSentAndIsSentByteForByte() async throws {
        let request = AdjustRequest(
            reason: "received",
            referenceDocumentURI: "gid://shopify-sync/SyncCall/abc",
            idempotencyKey: "key-abc",
            changes: [
                InventoryChange(
                    inventoryItemID: "gid://shopify/InventoryItem/1",
                    locationID: "gid://shopify/Location/1",
                    delta: 5
                )
            ]
        )
        let transport = ScriptedTransport(answering: emptyMutation, emptyMutation)
        let client = ShopifyClient.forTesting(transport)
        _ = try await client.adjustQuantities(request)
        let stored = try ShopifyClient.body(of: request)
        #expect(transport.requests.first?.body == stored)

        // Bytes that this version would not produce (other key order, other spacing) go out exactly as kept.
        let foreign = Array(
            #"{"variables":{"key":"key-abc","input":{}},"operationName":"AdjustInventory", "query":"q"}"#.utf8
        )
        let result = try await client.sendWrite(.adjust, body: foreign)
        #expect(result.userErrors.isEmpty)
        #expect(transport.requests.last?.body == foreign)
    }

    @Test func adjustSendsNullChangeFromQuantityOnEveryChangeAndTheKey() async throws {
        let transport = ScriptedTransport(answering: emptyMutation)
        let client = ShopifyClient.forTesting(transport)
        _ = try await client.adjustQuantities(
            AdjustRequest(
                reason: "received",
                referenceDocumentURI: "gid://shopify-sync/SyncCall/abc",
                idempotencyKey: "key-abc",
                changes: [
                    InventoryChange(
                        inventoryItemID: "gid://shopify/InventoryItem/1",
                        locationID: "gid://shopify/Location/1",
                        delta: 5
                    ),
                    InventoryChange(
                        inventoryItemID: "gid://shopify/InventoryItem/2",
                        locationID: "gid://shopify/Location/1",
                        delta: -3
                    ),
                ]
            )
        )
        let request = try #require(transport.requests.first)
        #expect(try request.json()["query"] as? String == ShopifyDocuments.adjust)
        #expect(try request.json()["operationName"] as? String == "AdjustInventory")
        let variables = try request.variables()
        #expect(variables["key"] as? String == "key-abc")
        let input = try #require(variables["input"] as? [String: Any])
        #expect(input["name"] as? String == "available")
        #expect(input["reason"] as? String == "received")
        #expect(input["referenceDocumentUri"] as? String == "gid://shopify-sync/SyncCall/abc")
        let changes = try #require(input["changes"] as? [[String: Any]])
        #expect(changes.count == 2)
        for change in changes {
            // Present and JSON null: an absent key fails the whole call with INVALID_FIELD_ARGUMENTS.
            #expect(change.keys.contains("changeFromQuantity"))
            #expect(change["changeFromQuantity"] is NSNull)
        }
        #expect(changes.map { $0["delta"] as? Int } == [5, -3])
        #expect(
            changes.map { $0["inventoryItemId"] as? String } == [
                "gid://shopify/InventoryItem/1", "gid://shopify/InventoryItem/2",
            ]
        )
        #expect(
            changes.map { $0["locationId"] as? String } == ["gid://shopify/Location/1", "gid://shopify/Location/1"]
        )
        // The raw bytes, too: `null`, not an omitted key.
        let text = String(decoding: request.body, as: UTF8.self)
        #expect(text.components(separatedBy: "\"changeFromQuantity\":null").count == 3)
    }

    @Test func setSendsOnHandWithChangeFromQuantityNumbers() async throws {
        let transport = ScriptedTransport(answering: emptyMutation)
        let client = ShopifyClient.forTesting(transport)
        _ = try await client.setQuantities(
            SetRequest(
                reason: "correction",
                referenceDocumentURI: "gid://shopify-sync/BulkSync/7",
                idempotencyKey: "set-key",
                quantities: [
                    QuantitySet(
                        inventoryItemID: "gid://shopify/InventoryItem/1",
                        locationID: "gid://shopify/Location/2",
                        quantity: 9,
                        changeFromQuantity: 7
                    ),
                    QuantitySet(
                        inventoryItemID: "gid://shopify/InventoryItem/3",
                        locationID: "gid://shopify/Location/2",
                        quantity: 0,
                        changeFromQuantity: 0
                    ),
                ]
            )
        )
        let request = try #require(transport.requests.first)
        #expect(try request.json()["query"] as? String == ShopifyDocuments.set)
        let variables = try request.variables()
        #expect(variables["key"] as? String == "set-key")
        let input = try #require(variables["input"] as? [String: Any])
        #expect(input["name"] as? String == "on_hand")
        #expect(input["ignoreCompareQuantity"] == nil)
        let rows = try #require(input["quantities"] as? [[String: Any]])
        #expect(rows.map { $0["changeFromQuantity"] as? Int } == [7, 0])
        #expect(rows.map { $0["quantity"] as? Int } == [9, 0])
    }

    @Test func setWithoutAFreshReadSendsAnExplicitNull() async throws {
        let transport = ScriptedTransport(answering: emptyMutation)
        _ = try await ShopifyClient.forTesting(transport).setQuantities(
            SetRequest(
                reason: "correction",
                referenceDocumentURI: "gid://shopify-sync/BulkSync/7",
                idempotencyKey: "k",
                quantities: [QuantitySet(inventoryItemID: "i", locationID: "l", quantity: 1, changeFromQuantity: nil)]
            )
        )
        let rows = try #require(try transport.requests[0].variables()["input"] as? [String: Any])["quantities"]
        let row = try #require((rows as? [[String: Any]])?.first)
        #expect(row["changeFromQuantity"] is NSNull)
    }

    @Test func postsToTheVersionedEndpointWithTheTokenHeader() async throws {
        let transport = ScriptedTransport(json: #"{"data":{"shop":{"name":"Acme"}}}"#)
        let client = ShopifyClient(
            endpoint: "http://127.0.0.1:8080/main/",
            apiVersion: "2026-07",
            accessToken: " shpat_secret \n",
            transport: transport
        )
        #expect(try await client.shopName() == "Acme")
        let request = try #require(transport.requests.first)
        #expect(request.url == "http://127.0.0.1:8080/main/admin/api/2026-07/graphql.json")
        #expect(request.headers.contains { $0.0 == "X-Shopify-Access-Token" && $0.1 == "shpat_secret" })
        #expect(request.headers.contains { $0.0 == "Content-Type" && $0.1 == "application/json" })
        #expect(!client.description.contains("shpat_secret"))
        #expect(!"\(client)".contains("shpat_secret"))
    }

    @Test func bareShopDomainGetsHTTPS() {
        let client = ShopifyClient.forTesting(ScriptedTransport([]))
        #expect(client.url == "https://test-shop.myshopify.com/admin/api/2026-07/graphql.json")
        let bare = ShopifyClient(
            endpoint: "acme.myshopify.com",
            apiVersion: "2026-04",
            accessToken: "t",
            transport: ScriptedTransport([])
        )
        #expect(bare.url == "https://acme.myshopify.com/admin/api/2026-04/graphql.json")
    }

    @Test func onHandReadPassesIdsAndLocationAsVariables() async throws {
        let transport = ScriptedTransport(json: #"{"data":{"nodes":[]}}"#)
        _ = try await ShopifyClient.forTesting(transport).onHand(
            items: ["gid://shopify/InventoryItem/1"],
            locationID: "gid://shopify/Location/1"
        )
        let variables = try transport.requests[0].variables()
        #expect(variables["ids"] as? [String] == ["gid://shopify/InventoryItem/1"])
        #expect(variables["location"] as? String == "gid://shopify/Location/1")
    }

    @Test func onHandOfMoreThan250ItemsIsReadInBatches() async throws {
        let transport = ScriptedTransport(
            answering: HTTPResponse(status: 200, headers: [], body: Array(#"{"data":{"nodes":[]}}"#.utf8)),
            HTTPResponse(status: 200, headers: [], body: Array(#"{"data":{"nodes":[]}}"#.utf8))
        )
        let items = (1...300).map { "gid://shopify/InventoryItem/\($0)" }
        let result = try await ShopifyClient.forTesting(transport).onHand(
            items: items,
            locationID: "gid://shopify/Location/1"
        )
        #expect(transport.requests.count == 2)
        #expect(try transport.requests.map { try ($0.variables()["ids"] as? [String])?.count } == [250, 50])
        #expect(result.onHand.count == 300)
    }

    @Test func onHandOfNoItemsSendsNothing() async throws {
        let transport = ScriptedTransport([])
        let result = try await ShopifyClient.forTesting(transport).onHand(
            items: [],
            locationID: "gid://shopify/Location/1"
        )
        #expect(result.onHand.isEmpty)
        #expect(transport.requests.isEmpty)
    }

    @Test(arguments: [
        ("ABC-1", "sku:'ABC-1'"),
        ("it's", #"sku:'it\'s'"#),
        (#"back\slash"#, #"sku:'back\\slash'"#),
        ("with space", "sku:'with space'"),
    ])
    func skuSearchQueryIsQuotedAndEscaped(sku: String, expected: String) async throws {
        #expect(ShopifyDocuments.skuSearchQuery(sku) == expected)
        let transport = ScriptedTransport(json: #"{"data":{"inventoryItems":{"nodes":[]}}}"#)
        _ = try await ShopifyClient.forTesting(transport).lookupSKU(sku)
        #expect(try transport.requests[0].variables()["query"] as? String == expected)
    }

    @Test func estimatedCosts() {
        #expect(ShopifyDocuments.estimatedCost(.adjust) >= 13)
        #expect(ShopifyDocuments.estimatedCost(.set) >= 13)
        #expect(ShopifyDocuments.estimatedCost(.onHand(itemCount: 1)) >= 4)
        #expect(
            ShopifyDocuments.estimatedCost(.onHand(itemCount: 100))
                > ShopifyDocuments.estimatedCost(.onHand(itemCount: 10))
        )
        #expect(ShopifyDocuments.estimatedCost(.onHand(itemCount: 250)) <= 1000)
        #expect(ShopifyDocuments.estimatedCost(.shopName) >= 1)
    }
}
