import Foundation
import ShopifyAPI
import ShopifySimulator
import SimulatorTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Reads (nodes, SKU search, shop), unknown fields, and the `/__sim/` inspection endpoints.
@Suite(.timeLimit(.minutes(1)))
struct ReadAndInspectionTests {
    let location = SimulatorTestShops.shopLocation

    @Test func nodesReadQuantitiesAndNullForUnknownOrNotStocked() async throws {
        let shop = SimulatorShop(
            name: "default",
            locations: [location, SimulatorTestShops.customLocation],
            items: [
                SimulatorItem(id: SimulatorTestShops.item(1), sku: "A", levels: [location: 7]),
                SimulatorItem(id: SimulatorTestShops.item(2), sku: "B", levels: [SimulatorTestShops.customLocation: 1]),
            ]
        )
        try await withTestSimulator(shops: [shop]) { simulator in
            let ids = [SimulatorTestShops.item(1), SimulatorTestShops.item(2), SimulatorTestShops.unknownItem]
            let answer = try await SimulatorHTTP(simulator).post(
                Documents.onHand,
                variables: .obj([("ids", .array(ids.map(SimJSON.string))), ("location", .string(location))])
            )
            let nodes = try #require(answer.json.at("data", "nodes")?.arrayValue)
            #expect(nodes.count == 3)
            #expect(
                nodes[0]
                    == .obj([
                        ("id", .string(SimulatorTestShops.item(1))),
                        (
                            "inventoryLevel",
                            .obj([
                                (
                                    "quantities",
                                    .array([
                                        .obj([("name", .string("available")), ("quantity", .int(7))]),
                                        .obj([("name", .string("on_hand")), ("quantity", .int(7))]),
                                    ])
                                )
                            ])
                        ),
                    ])
            )
            #expect(nodes[1] == .obj([("id", .string(SimulatorTestShops.item(2))), ("inventoryLevel", .null)]))
            #expect(nodes[2] == .null)
        }
    }

    @Test func skuSearchIsExactAndReturnsEveryMatch() async throws {
        let shop = SimulatorShop(
            name: "default",
            locations: [location],
            items: [
                SimulatorItem(id: SimulatorTestShops.item(1), sku: "TEE-RED", levels: [location: 0]),
                SimulatorItem(id: SimulatorTestShops.item(2), sku: "TEE-RED-L", levels: [location: 0]),
                SimulatorItem(id: SimulatorTestShops.item(3), sku: "DUP", levels: [location: 0]),
                SimulatorItem(id: SimulatorTestShops.item(4), sku: "DUP", levels: [location: 0]),
                SimulatorItem(id: SimulatorTestShops.item(5), sku: "it's", levels: [location: 0]),
            ]
        )
        try await withTestSimulator(shops: [shop]) { simulator in
            let http = SimulatorHTTP(simulator)
            func lookup(_ query: String) async throws -> [String] {
                let answer = try await http.post(Documents.lookup, variables: .obj([("query", .string(query))]))
                return answer.json.at("data", "inventoryItems", "nodes")?.arrayValue?.compactMap {
                    $0["id"]?.stringValue
                }
                    ?? ["no nodes: \(answer.json.text)"]
            }
            let got1 = try await lookup("sku:'TEE-RED'")
            #expect(got1 == [SimulatorTestShops.item(1)])
            let got2 = try await lookup("sku:\"TEE-RED-L\"")
            #expect(got2 == [SimulatorTestShops.item(2)])
            let got3 = try await lookup("sku:'DUP'")
            #expect(got3 == [SimulatorTestShops.item(3), SimulatorTestShops.item(4)])
            let got4 = try await lookup("sku:'NOPE'")
            #expect(got4 == [])
            let got5 = try await lookup(ShopifyDocuments.skuSearchQuery("it's"))
            #expect(got5 == [SimulatorTestShops.item(5)])
        }
    }

    @Test func connectionsPageWithCursors() async throws {
        try await withTestSimulator(shops: [SimulatorTestShops.standard(count: 3)]) { simulator in
            let http = SimulatorHTTP(simulator)
            let query = """
                query Page($after: String) {
                  inventoryItems(first: 2, after: $after) {
                    edges { cursor node { sku } }
                    pageInfo { hasNextPage endCursor }
                  }
                }
                """
            let first = try await http.post(query)
            let skus = first.json.at("data", "inventoryItems", "edges")?.arrayValue?.map { $0.at("node", "sku") }
            #expect(skus == [.string("SKU-1"), .string("SKU-2")])
            #expect(first.json.at("data", "inventoryItems", "pageInfo", "hasNextPage") == .bool(true))
            let cursor = try #require(first.json.at("data", "inventoryItems", "pageInfo", "endCursor"))
            let second = try await http.post(query, variables: .obj([("after", cursor)]))
            #expect(second.json.at("data", "inventoryItems", "edges", "0", "node", "sku") == .string("SKU-3"))
            #expect(second.json.at("data", "inventoryItems", "pageInfo", "hasNextPage") == .bool(false))
        }
    }

    @Test func unknownFieldsAreUndefinedFieldErrorsWithoutData() async throws {
        try await withTestSimulator { simulator in
            let answer = try await SimulatorHTTP(simulator).post("query Q { shop { name notAField } }")
            #expect(answer.json["data"] == nil)
            let error = try #require(answer.json.at("errors", "0"))
            #expect(error["message"] == .string("Field 'notAField' doesn't exist on type 'Shop'"))
            #expect(error["path"] == .array(["query Q", "shop", "notAField"].map(SimJSON.string)))
            #expect(error.at("extensions", "code") == .string("undefinedField"))
        }
    }

    @Test func bareIdempotentDirectiveIsMissingRequiredArguments() async throws {
        try await withTestSimulator { simulator in
            let document = Documents.adjust.replacingOccurrences(
                of: "@idempotent(key: $idempotencyKey)",
                with: "@idempotent"
            )
            let answer = try await SimulatorHTTP(simulator).post(
                document,
                variables: Documents.adjustVariables(key: "k", changes: [(SimulatorTestShops.item(1), location, 1)])
            )
            #expect(
                answer.json.at("errors", "0", "message")
                    == .string("Directive 'idempotent' is missing required arguments: key")
            )
            #expect(answer.json["data"] == nil)
        }
    }

    @Test func shopsAreReachedByPathAndTheBarePathIsDefault() async throws {
        let shops = [SimulatorTestShops.standard(name: "default"), SimulatorTestShops.standard(name: "au")]
        try await withTestSimulator(shops: shops) { simulator in
            #expect(simulator.baseURL(shop: "au") == "http://127.0.0.1:\(simulator.port)/au")
            var bare = SimulatorHTTP(simulator)
            bare.url = "\(simulator.baseURL)/admin/api/2026-04/graphql.json"
            let got6 = try await bare.post("{ shop { name } }").json.at("data", "shop", "name")
            #expect(got6 == .string("default"))
            let au = try await SimulatorHTTP(simulator, shop: "au").post("{ shop { name } }")
            #expect(au.json.at("data", "shop", "name") == .string("au"))
            let unknown = try await SimulatorHTTP(simulator, shop: "nope").post("{ shop { name } }")
            #expect(unknown.status == 404)
        }
    }

    // MARK: - /__sim/

    private func get(_ url: String) async throws -> SimJSON {
        let data: Data = try await withCheckedThrowingContinuation { continuation in
            URLSession.shared.dataTask(with: URL(string: url)!) { data, _, error in
                if let error {
                    continuation.resume(throwing: error)
                } else {
                    continuation.resume(returning: data ?? Data())
                }
            }.resume()
        }
        return try SimJSON.parse(data)
    }

    private func post(_ url: String, _ body: String) async throws -> (Int, String) {
        let response = try await CurlTransport().post(
            url: url,
            headers: [("Content-Type", "application/json")],
            body: Array(body.utf8),
            connectTimeout: .seconds(5),
            totalTimeout: .seconds(10)
        )
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    @Test func inspectionEndpoints() async throws {
        try await withTestSimulator(shops: [SimulatorTestShops.standard(count: 1, onHand: 3)]) { simulator in
            _ = try await SimulatorHTTP(simulator).post(
                Documents.adjust,
                variables: Documents.adjustVariables(key: "k1", changes: [(SimulatorTestShops.item(1), location, 2)])
            )
            let levels = try await get("\(simulator.baseURL)/__sim/levels")
            #expect(levels.at("default", SimulatorTestShops.item(1), "sku") == .string("SKU-1"))
            #expect(
                levels.at("default", SimulatorTestShops.item(1), "locations", location)
                    == .obj([("available", .int(5)), ("on_hand", .int(5))])
            )

            let calls = try await get("\(simulator.baseURL)/__sim/calls")
            #expect(calls.at("0", "rootField") == .string("inventoryAdjustQuantities"))
            #expect(calls.at("0", "idempotencyKey") == .string("k1"))
            #expect(calls.at("0", "outcome") == .string("applied"))
            #expect(calls.at("0", "variables", "input", "changes", "0", "delta") == .int(2))

            let (faultStatus, _) = try await post(
                "\(simulator.baseURL)/__sim/faults",
                #"{"failNext": 1, "latencyMs": 0}"#
            )
            #expect(faultStatus == 200)
            #expect(await simulator.state.currentFaults().failNext == 1)
            let got7 = try await SimulatorHTTP(simulator).post("{ shop { name } }").status
            #expect(got7 >= 500)

            let (itemStatus, itemBody) = try await post(
                "\(simulator.baseURL)/__sim/items",
                #"{"shop": "default", "sku": "NEW-SKU", "locations": ["\#(location)"], "on_hand": 4}"#
            )
            #expect(itemStatus == 200)
            let newID = try #require(try SimJSON.parse(Data(itemBody.utf8)).at("ids", "0")?.stringValue)
            #expect(
                await simulator.state.quantities(shop: "default", item: newID, location: location)
                    == SimulatorQuantities(available: 4, onHand: 4)
            )
            let found = try await SimulatorHTTP(simulator).post(
                Documents.lookup,
                variables: .obj([("query", .string("sku:'NEW-SKU'"))])
            )
            #expect(found.json.at("data", "inventoryItems", "nodes", "0", "id") == .string(newID))
        }
    }
}
