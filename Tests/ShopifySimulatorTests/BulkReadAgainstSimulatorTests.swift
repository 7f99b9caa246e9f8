import Foundation
import ShopifyAPI
import ShopifySimulator
import SimulatorTestSupport
import Testing

/// The client's bulk read (start, poll, download, parse) over libcurl against the simulator.
@Suite(.timeLimit(.minutes(1)))
struct BulkReadAgainstSimulatorTests {
    func client(_ simulator: RunningSimulator) -> ShopifyClient {
        ShopifyClient(
            endpoint: simulator.baseURL(shop: "default"),
            apiVersion: "2026-07",
            accessToken: "shpat_test",
            transport: CurlTransport(label: "bulk-client")
        )
    }

    /// Polls every 20 ms until the operation has ended.
    func finished(_ client: ShopifyClient, _ id: String) async throws -> BulkOperationState {
        for _ in 0..<500 {
            let state = try await client.bulkOperation(id: id)
            if state.status.isFinal { return state }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw SimulatorError("bulk operation \(id) did not end")
    }

    func withBulkSimulator(_ faults: SimulatorFaults, _ body: (RunningSimulator) async throws -> Void) async throws {
        try await withTestSimulator(shops: [SimulatorTestShops.standard(count: 40, onHand: 3)], faults: faults, body)
    }

    @Test func readsTheOnHandOfEveryLevel() async throws {
        var faults = SimulatorFaults()
        faults.bulkRunningTimeMs = 50
        try await withBulkSimulator(faults) { simulator in
            for number in stride(from: 1, through: 40, by: 3) {
                try await simulator.state.setLevel(
                    shop: "default",
                    item: SimulatorTestShops.item(number),
                    location: SimulatorTestShops.customLocation,
                    available: 0,
                    onHand: 100 + number
                )
            }
            try await simulator.state.unstock(
                shop: "default",
                item: SimulatorTestShops.item(7),
                location: SimulatorTestShops.shopLocation
            )
            let client = client(simulator)
            let start = try await client.startBulkQuery(ShopifyDocuments.bulkOnHandQuery)
            #expect(start.userErrors.isEmpty)
            #expect(start.status == .created)
            #expect(start.cost?.requestedQueryCost == ShopifyDocuments.estimatedCost(.bulkRunQuery))
            let id = try #require(start.operationID)

            let state = try await finished(client, id)
            #expect(state.status == .completed)
            #expect(state.errorCode == nil)
            #expect(state.cost?.requestedQueryCost == ShopifyDocuments.estimatedCost(.bulkOperation))
            #expect(state.objectCount == 2 + 79)
            #expect(state.rootObjectCount == 2)
            let url = try #require(state.url)
            let jsonl = try await client.download(url: url)
            #expect(state.fileSize == jsonl.count)

            var expected: [String: [String: Int]] = [:]
            for (item, levels) in await simulator.state.levels(shop: "default") {
                for (location, quantities) in levels.locations {
                    expected[location, default: [:]][item] = quantities.onHand
                }
            }
            let read = try BulkOnHand.parse(jsonl)
            #expect(read == expected)
            #expect(read[SimulatorTestShops.customLocation]?[SimulatorTestShops.item(4)] == 104)
            #expect(read[SimulatorTestShops.shopLocation]?[SimulatorTestShops.item(7)] == nil)
        }
    }

    /// A shop whose bulk reads are denied: the caller sees FAILED and the code, and falls back to paged reads.
    @Test func aDeniedReadReportsItsErrorCode() async throws {
        var faults = SimulatorFaults()
        faults.bulkRunningTimeMs = 0
        faults.bulkDenied = ["default"]
        try await withBulkSimulator(faults) { simulator in
            let client = client(simulator)
            let id = try #require(try await client.startBulkQuery(ShopifyDocuments.bulkOnHandQuery).operationID)
            let state = try await finished(client, id)
            #expect(state.status == .failed)
            #expect(state.errorCode == "ACCESS_DENIED")
            #expect(state.url == nil)
        }
    }

    @Test func refusalsComeBackAsUserErrors() async throws {
        var faults = SimulatorFaults()
        faults.bulkRunningTimeMs = 60_000
        try await withBulkSimulator(faults) { simulator in
            let client = client(simulator)
            let invalid = try await client.startBulkQuery("{ shop { name } }")
            #expect(invalid.operationID == nil)
            #expect(invalid.userErrors.map(\.code) == ["INVALID"])
            #expect(invalid.userErrors.first?.field == ["query"])

            for _ in 1...5 { _ = try await client.startBulkQuery(ShopifyDocuments.bulkOnHandQuery) }
            let sixth = try await client.startBulkQuery(ShopifyDocuments.bulkOnHandQuery)
            #expect(sixth.operationID == nil)
            #expect(sixth.userErrors.map(\.code) == ["LIMIT_REACHED"])

            let unknown = await #expect(throws: ShopifyError.self) {
                try await client.bulkOperation(id: "gid://shopify/BulkOperation/999")
            }
            #expect(unknown?.code == .graphQL)
        }
    }
}
