import Foundation
import ShopifyAPI
import Testing

/// Reading the JSONL result of the on_hand bulk query.
@Suite struct BulkOnHandTests {
    static let location1 = "gid://shopify/Location/1"
    static let location2 = "gid://shopify/Location/2"

    static func level(_ item: Int, _ onHand: Int, parent: String, extra: String = "") -> String {
        #"{"item":{"id":"gid:\/\/shopify\/InventoryItem\/\#(item)"},"quantities":[{"name":"on_hand","quantity":\#(onHand)}]\#(extra),"__parentId":"\#(parent)"}"#
    }

    static func parse(_ lines: [String]) throws(BulkOnHandError) -> [String: [String: Int]] {
        try BulkOnHand.parse(Array(lines.joined(separator: "\n").utf8))
    }

    @Test func readsLocationsAndTheirLevelsInAnyOrder() throws {
        let read = try Self.parse([
            #"{"id":"gid:\/\/shopify\/Location\/1"}"#,
            Self.level(7, 5, parent: Self.location1),
            // A child before its parent, as `groupObjects: false` allows.
            Self.level(8, -2, parent: Self.location2),
            #"{"id":"gid://shopify/Location/2"}"#,
            #"{"id":"gid://shopify/Location/3"}"#,
            Self.level(9, 0, parent: Self.location1),
            "",
        ])
        #expect(
            read == [
                Self.location1: ["gid://shopify/InventoryItem/7": 5, "gid://shopify/InventoryItem/9": 0],
                Self.location2: ["gid://shopify/InventoryItem/8": -2],
                "gid://shopify/Location/3": [:],
            ]
        )
    }

    @Test func ignoresKeysItDoesNotRead() throws {
        let read = try Self.parse([
            #"{"id":"gid://shopify/Location/1","name":"Main","__typename":"Location","extra":{"a":[1,2]}}"#,
            Self.level(
                7,
                5,
                parent: Self.location1,
                extra: #","id":"gid://shopify/InventoryLevel/1?inventory_item_id=7","updatedAt":null"#
            ),
            #"{"item":{"id":"gid://shopify/InventoryItem/8","sku":"A"},"quantities":[{"name":"available","quantity":1},{"name":"on_hand","quantity":4,"updatedAt":null}],"__parentId":"gid://shopify/Location/1"}"#,
        ])
        #expect(read == [Self.location1: ["gid://shopify/InventoryItem/7": 5, "gid://shopify/InventoryItem/8": 4]])
    }

    @Test func anEmptyFileIsAnEmptyShop() throws {
        #expect(try BulkOnHand.parse([]).isEmpty)
        #expect(try BulkOnHand.parse(Array("\n".utf8)).isEmpty)
    }

    @Test(arguments: [
        (#"{"id":"gid://shopify/Location/1""#, BulkOnHandError.Code.malformedLine),
        ("not json", .malformedLine),
        (#"["gid://shopify/Location/1"]"#, .malformedLine),
        (#"{"id":5}"#, .malformedLine),
        (#"{"name":"no id"}"#, .unexpectedLine),
        (#"{"quantities":[{"name":"on_hand","quantity":1}],"__parentId":"gid://shopify/Location/1"}"#, .unexpectedLine),
        (
            #"{"item":{"id":"gid://shopify/InventoryItem/7"},"quantities":[{"name":"available","quantity":1}],"__parentId":"gid://shopify/Location/1"}"#,
            .unexpectedLine
        ),
    ])
    func aBadLineFailsNamingItsNumber(line: String, code: BulkOnHandError.Code) throws {
        let error = #expect(throws: BulkOnHandError.self) {
            try Self.parse([#"{"id":"gid://shopify/Location/1"}"#, Self.level(7, 5, parent: Self.location1), line])
        }
        #expect(error?.line == 3)
        #expect(error?.code == code)
        #expect(error?.description.hasPrefix("line 3: ") == true)
    }
}

/// The bulk calls' requests and answers, over a scripted transport.
@Suite struct BulkClientTests {
    @Test func startSendsTheQueryAsAVariable() async throws {
        let transport = ScriptedTransport(
            json: #"""
                {"data":{"bulkOperationRunQuery":{"bulkOperation":{"id":"gid://shopify/BulkOperation/5","status":"CREATED"},"userErrors":[]}},
                 "extensions":{"cost":{"requestedQueryCost":10,"actualQueryCost":10,"throttleStatus":{"maximumAvailable":2000,"currentlyAvailable":1990,"restoreRate":100}}}}
                """#
        )
        let start = try await ShopifyClient.forTesting(transport).startBulkQuery(ShopifyDocuments.bulkOnHandQuery)
        #expect(start.operationID == "gid://shopify/BulkOperation/5")
        #expect(start.status == .created)
        #expect(start.cost?.throttleStatus.currentlyAvailable == 1990)
        let request = try #require(transport.requests.first)
        #expect(try request.variables()["query"] as? String == ShopifyDocuments.bulkOnHandQuery)
        #expect(try request.json()["operationName"] as? String == "BulkRunQuery")
    }

    @Test func pollReadsUnsignedInt64Strings() async throws {
        let transport = ScriptedTransport(
            json: #"""
                {"data":{"bulkOperation":{"id":"gid://shopify/BulkOperation/5","status":"COMPLETED","errorCode":null,
                 "objectCount":"12345","rootObjectCount":"3","fileSize":"987654","url":"https://storage.example/r.jsonl?sig=x",
                 "partialDataUrl":null}}}
                """#
        )
        let state = try await ShopifyClient.forTesting(transport).bulkOperation(id: "gid://shopify/BulkOperation/5")
        #expect(state.status == .completed)
        #expect(state.status.isFinal)
        #expect(state.objectCount == 12345)
        #expect(state.rootObjectCount == 3)
        #expect(state.fileSize == 987654)
        #expect(state.url == "https://storage.example/r.jsonl?sig=x")
        #expect(try transport.requests.first?.variables()["id"] as? String == "gid://shopify/BulkOperation/5")
    }

    /// The result lives on a signed storage URL: the access token must not travel there.
    @Test func downloadSendsNoToken() async throws {
        let transport = ScriptedTransport(
            answering: HTTPResponse(status: 200, headers: [], body: Array("{\"id\":\"x\"}\n".utf8))
        )
        let body = try await ShopifyClient.forTesting(transport, token: "shpat_secret_token")
            .download(url: "https://storage.example/r.jsonl?sig=x")
        #expect(body == Array("{\"id\":\"x\"}\n".utf8))
        let request = try #require(transport.requests.first)
        #expect(request.url == "https://storage.example/r.jsonl?sig=x")
        #expect(request.body.isEmpty)
        #expect(!request.headers.contains { $0.0.lowercased() == "x-shopify-access-token" })
        #expect(!request.headers.contains { $0.1.contains("shpat_secret_token") })
    }

    @Test(arguments: [
        (403, ShopifyError.Code.badResponse), (404, .badResponse), (503, .unavailable), (429, .unavailable),
    ])
    func downloadFailuresAreClassified(status: Int, code: ShopifyError.Code) async throws {
        let transport = ScriptedTransport(answering: HTTPResponse(status: status, headers: [], body: []))
        let error = await #expect(throws: ShopifyError.self) {
            try await ShopifyClient.forTesting(transport).download(url: "https://storage.example/r.jsonl?sig=secret")
        }
        #expect(error?.code == code)
        #expect(error?.httpStatus == status)
        #expect(error?.message.contains("secret") == false)
    }
}
