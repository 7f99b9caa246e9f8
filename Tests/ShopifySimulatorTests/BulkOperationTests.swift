import Foundation
import ShopifyAPI
import ShopifySimulator
import SimulatorTestSupport
import Testing

/// Bulk query operations: the lifecycle, the JSONL result, refusals and cost.
@Suite(.timeLimit(.minutes(1)))
struct BulkOperationTests {
    let shopLocation = SimulatorTestShops.shopLocation
    let customLocation = SimulatorTestShops.customLocation

    static let start = """
        mutation Start($query: String!) {
          bulkOperationRunQuery(query: $query) {
            bulkOperation { id status errorCode url }
            userErrors { field code message }
          }
        }
        """

    static let poll = """
        query Poll($id: ID!) {
          bulkOperation(id: $id) {
            id status errorCode createdAt completedAt objectCount rootObjectCount fileSize url partialDataUrl query type
          }
        }
        """

    /// Levels of every location; the level lines select the item and both quantities.
    static let levelsQuery = """
        { locations { edges { node { id name inventoryLevels { edges { node {
          item { id sku } quantities(names: ["available", "on_hand"]) { name quantity } } } } } } } }
        """

    /// A bucket that barely refills, so costs read exactly.
    static func withBulkSimulator(
        runningTimeMs: Int = 60_000,
        _ body: (RunningSimulator, SimulatorHTTP) async throws -> Void
    ) async throws {
        var faults = SimulatorFaults()
        faults.bulkRunningTimeMs = runningTimeMs
        try await withTestSimulator(
            shops: [SimulatorTestShops.standard(count: 3, onHand: 0)],
            restoreRate: 0.01,
            faults: faults
        ) { simulator in
            try await body(simulator, SimulatorHTTP(simulator))
        }
    }

    func start(_ http: SimulatorHTTP, _ query: String) async throws -> SimulatorHTTP.Answer {
        try await http.post(Self.start, variables: .obj([("query", .string(query))]))
    }

    func poll(_ http: SimulatorHTTP, _ id: String) async throws -> SimulatorHTTP.Answer {
        try await http.post(Self.poll, variables: .obj([("id", .string(id))]))
    }

    @Test func runsThenServesTheLevelsAsTheyWereWhenItStarted() async throws {
        try await Self.withBulkSimulator { simulator, http in
            for number in 1...3 {
                try await simulator.state.setLevel(
                    shop: "default",
                    item: SimulatorTestShops.item(number),
                    location: shopLocation,
                    available: number,
                    onHand: 10 * number
                )
            }
            try await simulator.state.unstock(
                shop: "default",
                item: SimulatorTestShops.item(2),
                location: customLocation
            )

            let started = try await start(http, Self.levelsQuery)
            let operation = try #require(started.json.at("data", "bulkOperationRunQuery", "bulkOperation"))
            #expect(operation["status"] == .string("CREATED"))
            #expect(operation["url"] == .null)
            #expect(started.json.at("data", "bulkOperationRunQuery", "userErrors") == .array([]))
            let id = try #require(operation["id"]?.stringValue)
            #expect(id.hasPrefix("gid://shopify/BulkOperation/"))
            #expect(started.json.at("extensions", "cost", "requestedQueryCost")?.intValue == 10)
            #expect(started.json.at("extensions", "cost", "actualQueryCost")?.intValue == 10)
            #expect(started.json.at("extensions", "cost", "throttleStatus", "currentlyAvailable")?.intValue == 1990)

            // A write after the start is not in the result: it reads the shop as it was when it started.
            try await simulator.state.setLevel(
                shop: "default",
                item: SimulatorTestShops.item(1),
                location: shopLocation,
                available: 99,
                onHand: 99
            )

            let running = try await poll(http, id)
            #expect(running.json.at("data", "bulkOperation", "status") == .string("RUNNING"))
            #expect(running.json.at("data", "bulkOperation", "url") == .null)
            #expect(running.json.at("data", "bulkOperation", "completedAt") == .null)
            #expect(running.json.at("extensions", "cost", "requestedQueryCost")?.intValue == 1)
            #expect(running.json.at("extensions", "cost", "throttleStatus", "currentlyAvailable")?.intValue == 1989)

            await simulator.state.advanceClock(by: .seconds(60))
            let completed = try await poll(http, id)
            let done = try #require(completed.json.at("data", "bulkOperation"))
            #expect(done["status"] == .string("COMPLETED"))
            #expect(done["errorCode"] == .null)
            #expect(done["type"] == .string("QUERY"))
            #expect(done["query"] == .string(Self.levelsQuery))
            #expect(done["completedAt"]?.stringValue != nil)
            // 2 locations, 3 + 2 levels; UnsignedInt64 as strings.
            #expect(done["objectCount"] == .string("7"))
            #expect(done["rootObjectCount"] == .string("2"))
            #expect(done["partialDataUrl"] == .null)
            let url = try #require(done["url"]?.stringValue)
            #expect(url.hasPrefix(simulator.baseURL + "/__sim/bulk/"))

            let bucketBefore = try #require(await simulator.state.bucketAvailable(shop: "default"))
            let callsBefore = await simulator.state.calls().count
            let download = try await http.get(url)
            #expect(download.status == 200)
            #expect(download.header("Content-Type") == "application/jsonl")
            #expect(done["fileSize"] == .string(String(download.body.count)))
            let text = String(decoding: download.body, as: UTF8.self)
            #expect(text.hasSuffix("\n"))
            #expect(text.contains(#""id":"gid:\/\/shopify\/Location\/"#))
            let rawLines = text.split(separator: "\n")
            // `__parentId` is the last key of a nested node's line.
            #expect(rawLines[1].hasSuffix(#","__parentId":"gid:\/\/shopify\/Location\/106318430514"}"#))
            let lines = try rawLines.map { try SimJSON.parse(Data($0.utf8)) }
            #expect(
                lines == [
                    location(shopLocation, "Shop location"),
                    level(1, onHand: 10, available: 1, parent: shopLocation),
                    level(2, onHand: 20, available: 2, parent: shopLocation),
                    level(3, onHand: 30, available: 3, parent: shopLocation),
                    location(customLocation, "My Custom Location"),
                    level(1, onHand: 0, available: 0, parent: customLocation),
                    level(3, onHand: 0, available: 0, parent: customLocation),
                ]
            )
            // The download is neither charged nor a GraphQL call.
            let bucketAfter = try #require(await simulator.state.bucketAvailable(shop: "default"))
            #expect(bucketAfter - bucketBefore < 0.5)
            #expect(await simulator.state.calls().count == callsBefore)
        }
    }

    func location(_ id: String, _ name: String) -> SimJSON {
        SimJSON.obj([("id", .string(id)), ("name", .string(name))])
    }

    func level(_ number: Int, onHand: Int, available: Int, parent: String) -> SimJSON {
        SimJSON.obj([
            ("item", .obj([("id", .string(SimulatorTestShops.item(number))), ("sku", .string("SKU-\(number)"))])),
            (
                "quantities",
                .array([
                    .obj([("name", .string("available")), ("quantity", .int(available))]),
                    .obj([("name", .string("on_hand")), ("quantity", .int(onHand))]),
                ])
            ),
            ("__parentId", .string(parent)),
        ])
    }

    @Test(arguments: [
        "{ shop { name } }",
        "{ locations { edges { node { id nope } } } }",
        "{ locations { edges { node { id }",
        "mutation { bulkOperationRunQuery(query: \"{ locations { nodes { id } } }\") { userErrors { code } } }",
        "{ nodes(ids: []) { id } locations { nodes { id } } }",
        "{ locations { nodes { inventoryLevels { nodes { item { inventoryLevels { nodes { id } } } } } } } }",
    ])
    func invalidInnerQueryIsRefused(query: String) async throws {
        try await Self.withBulkSimulator { simulator, http in
            let answer = try await start(http, query)
            #expect(answer.json["errors"] == nil)
            #expect(answer.json.at("data", "bulkOperationRunQuery", "bulkOperation") == .null)
            let error = try #require(answer.json.at("data", "bulkOperationRunQuery", "userErrors", "0"))
            #expect(error["code"] == .string("INVALID"))
            #expect(error["field"] == .array([.string("query")]))
            #expect(answer.json.at("extensions", "cost", "actualQueryCost")?.intValue == 10)
            #expect(await simulator.state.calls().last?.outcome == .refused)
        }
    }

    /// Documented: up to five bulk query operations at once per shop (API 2026-01 and later).
    @Test func aSixthRunningOperationReachesTheLimit() async throws {
        try await Self.withBulkSimulator { simulator, http in
            for _ in 1...5 {
                let answer = try await start(http, Self.levelsQuery)
                #expect(answer.json.at("data", "bulkOperationRunQuery", "userErrors") == .array([]))
            }
            let sixth = try await start(http, Self.levelsQuery)
            #expect(sixth.json.at("data", "bulkOperationRunQuery", "bulkOperation") == .null)
            #expect(
                sixth.json.at("data", "bulkOperationRunQuery", "userErrors", "0", "code") == .string("LIMIT_REACHED")
            )

            // Once they have ended, another may start.
            await simulator.state.advanceClock(by: .seconds(60))
            let later = try await start(http, Self.levelsQuery)
            #expect(later.json.at("data", "bulkOperationRunQuery", "bulkOperation", "status") == .string("CREATED"))
        }
    }

    /// Set at run time through `POST /__sim/faults`, as an operator or a test flips it.
    @Test func aDeniedShopFailsWithAccessDenied() async throws {
        try await Self.withBulkSimulator { simulator, http in
            let faults = try await http.transport.post(
                url: "\(simulator.baseURL)/__sim/faults",
                headers: [("Content-Type", "application/json")],
                body: Array(#"{"bulkDenied": ["default"], "bulkRunningTimeMs": 0}"#.utf8),
                connectTimeout: .seconds(5),
                totalTimeout: .seconds(20)
            )
            #expect(faults.status == 200)
            #expect(await simulator.state.currentFaults().bulkDenied == ["default"])

            let started = try await start(http, Self.levelsQuery)
            let id = try #require(started.json.at("data", "bulkOperationRunQuery", "bulkOperation", "id")?.stringValue)
            let failed = try await poll(http, id)
            #expect(failed.json.at("data", "bulkOperation", "status") == .string("FAILED"))
            #expect(failed.json.at("data", "bulkOperation", "errorCode") == .string("ACCESS_DENIED"))
            #expect(failed.json.at("data", "bulkOperation", "url") == .null)
            #expect(failed.json.at("data", "bulkOperation", "partialDataUrl") == .null)

            let current = try await http.post("{ currentBulkOperation { id status } }")
            #expect(current.json.at("data", "currentBulkOperation", "id") == .string(id))
            #expect(current.json.at("data", "currentBulkOperation", "status") == .string("FAILED"))
            let number = try #require(id.split(separator: "/").last)
            #expect(try await http.get("\(simulator.baseURL)/__sim/bulk/\(number).jsonl").status == 404)
        }
    }

    /// Bulk reads ignore pagination; an ordinary read of the same connections stays paged and priced by page.
    @Test func pagedReadsKeepTheirPagesAndCost() async throws {
        try await Self.withBulkSimulator(runningTimeMs: 0) { _, http in
            _ = try await start(http, Self.levelsQuery)
            let answer = try await http.post(
                "{ locations(first: 1) { nodes { id inventoryLevels(first: 2) { nodes { item { id } } } } } }"
            )
            #expect(answer.json.at("data", "locations", "nodes")?.arrayValue?.count == 1)
            #expect(
                answer.json.at("data", "locations", "nodes", "0", "inventoryLevels", "nodes")?.arrayValue?.count == 2
            )
            #expect(answer.json.at("extensions", "cost", "requestedQueryCost")?.intValue == 3)
        }
    }

    @Test func anUnknownOperationIsNull() async throws {
        try await Self.withBulkSimulator { _, http in
            let answer = try await poll(http, "gid://shopify/BulkOperation/424242")
            #expect(answer.json.at("data", "bulkOperation") == .null)
            #expect(answer.json["errors"] == nil)
        }
    }
}
