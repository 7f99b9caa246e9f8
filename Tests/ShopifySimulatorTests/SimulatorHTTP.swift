import Foundation
import ShopifyAPI
import ShopifySimulator

/// Posts GraphQL to an embedded simulator over real libcurl (the client's own transport).
struct SimulatorHTTP {
    var url: String
    var token: String? = "shpat_test_token"
    var transport = CurlTransport(label: "simulator-tests")

    init(_ simulator: RunningSimulator, shop: String = "default", token: String? = "shpat_test_token") {
        url = simulator.graphQLURL(shop: shop)
        self.token = token
    }

    struct Answer {
        var status: Int
        var headers: [(name: String, value: String)]
        var json: SimJSON

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    func post(_ query: String, variables: SimJSON = .obj([]), operationName: String? = nil) async throws -> Answer {
        var members: [(String, SimJSON)] = [("query", .string(query)), ("variables", variables)]
        if let operationName { members.append(("operationName", .string(operationName))) }
        return try await postRaw(Array(SimJSON.obj(members).text.utf8))
    }

    func postRaw(_ body: [UInt8]) async throws -> Answer {
        var headers = [("Content-Type", "application/json")]
        if let token { headers.append(("X-Shopify-Access-Token", token)) }
        let response = try await transport.post(
            url: url,
            headers: headers,
            body: body,
            connectTimeout: .seconds(5),
            totalTimeout: .seconds(20)
        )
        return Answer(
            status: response.status,
            headers: response.headers,
            json: try SimJSON.parse(Data(response.body))
        )
    }
}

extension SimulatorHTTP {
    /// A plain GET (no token), as a client downloads a bulk operation's result.
    func get(_ url: String) async throws -> HTTPResponse {
        try await transport.get(url: url, headers: [], connectTimeout: .seconds(5), totalTimeout: .seconds(20))
    }
}

/// Documents the tests send; they select what the captures show.
enum Documents {
    static let groupSelection =
        "inventoryAdjustmentGroup { id createdAt reason referenceDocumentUri changes { name delta quantityAfterChange"
        + " item { id } location { id name } } } userErrors { field message code }"

    static let set = """
        mutation Set($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
          inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) { \(groupSelection) }
        }
        """

    static let setWithoutIdempotency = """
        mutation Set($input: InventorySetQuantitiesInput!) {
          inventorySetQuantities(input: $input) { \(groupSelection) }
        }
        """

    static let adjust = """
        mutation Adjust($input: InventoryAdjustQuantitiesInput!, $idempotencyKey: String!) {
          inventoryAdjustQuantities(input: $input) @idempotent(key: $idempotencyKey) { \(groupSelection) }
        }
        """

    static let adjustWithoutIdempotency = """
        mutation Adjust($input: InventoryAdjustQuantitiesInput!) {
          inventoryAdjustQuantities(input: $input) { \(groupSelection) }
        }
        """

    static let onHand = """
        query OnHand($ids: [ID!]!, $location: ID!) {
          nodes(ids: $ids) {
            ... on InventoryItem {
              id
              inventoryLevel(locationId: $location) { quantities(names: ["available", "on_hand"]) { name quantity } }
            }
          }
        }
        """

    static let lookup = """
        query LookupSKU($query: String!) {
          inventoryItems(first: 10, query: $query) { nodes { id sku } }
        }
        """

    /// Variables of an `inventoryAdjustQuantities` call of `available` deltas (`changeFromQuantity: null`).
    static func adjustVariables(
        key: String,
        reason: String = "correction",
        changes: [(item: String, location: String, delta: Int)]
    ) -> SimJSON {
        .obj([
            ("idempotencyKey", .string(key)),
            (
                "input",
                .obj([
                    ("name", .string("available")),
                    ("reason", .string(reason)),
                    ("referenceDocumentUri", .string("gid://shopify-sync/SyncCall/\(key)")),
                    (
                        "changes",
                        .array(
                            changes.map { change in
                                .obj([
                                    ("inventoryItemId", .string(change.item)),
                                    ("locationId", .string(change.location)),
                                    ("delta", .int(change.delta)),
                                    ("changeFromQuantity", .null),
                                ])
                            }
                        )
                    ),
                ])
            ),
        ])
    }

    /// Variables of an `inventorySetQuantities` call of `on_hand`.
    static func setVariables(
        key: String,
        name: String = "on_hand",
        quantities: [(item: String, location: String, quantity: Int, changeFrom: Int?)]
    ) -> SimJSON {
        .obj([
            ("idempotencyKey", .string(key)),
            (
                "input",
                .obj([
                    ("name", .string(name)),
                    ("reason", .string("correction")),
                    ("referenceDocumentUri", .string("gid://shopify-sync/SyncCall/\(key)")),
                    (
                        "quantities",
                        .array(
                            quantities.map { row in
                                .obj([
                                    ("inventoryItemId", .string(row.item)),
                                    ("locationId", .string(row.location)),
                                    ("quantity", .int(row.quantity)),
                                    ("changeFromQuantity", row.changeFrom.map(SimJSON.int) ?? .null),
                                ])
                            }
                        )
                    ),
                ])
            ),
        ])
    }
}

extension SimJSON {
    /// Follows object keys and list indices (`"0"`).
    func at(_ path: String...) -> SimJSON? {
        var node: SimJSON? = self
        for key in path {
            if let index = Int(key), let list = node?.arrayValue {
                node = list.indices.contains(index) ? list[index] : nil
            } else {
                node = node?[key]
            }
        }
        return node
    }
}
