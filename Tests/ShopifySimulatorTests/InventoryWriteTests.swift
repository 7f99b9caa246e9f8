import Foundation
import ShopifySimulator
import SimulatorTestSupport
import Testing

/// All-or-nothing, limits, compare checks and idempotency of the two inventory writes.
@Suite(.timeLimit(.minutes(1)))
struct InventoryWriteTests {
    let location = SimulatorTestShops.shopLocation
    let other = SimulatorTestShops.customLocation
    let item1 = SimulatorTestShops.item(1)
    let item2 = SimulatorTestShops.item(2)

    func onHand(_ simulator: RunningSimulator, _ item: String, _ location: String) async -> Int? {
        await simulator.state.quantities(shop: "default", item: item, location: location)?.onHand
    }

    @Test func adjustAppliesAvailableAndOnHandRows() async throws {
        try await withTestSimulator(shops: [SimulatorTestShops.standard(onHand: 10)]) { simulator in
            let answer = try await SimulatorHTTP(simulator).post(
                Documents.adjust,
                variables: Documents.adjustVariables(
                    key: "k1",
                    changes: [(item1, location, 3), (item2, other, -4)]
                )
            )
            let payload = try #require(answer.json.at("data", "inventoryAdjustQuantities"))
            #expect(payload["userErrors"] == .array([]))
            let changes = try #require(payload.at("inventoryAdjustmentGroup", "changes")?.arrayValue)
            #expect(changes.map { $0["name"]?.stringValue } == ["available", "on_hand", "available", "on_hand"])
            #expect(changes.map { $0["delta"]?.intValue } == [3, 3, -4, -4])
            #expect(changes.allSatisfy { $0["quantityAfterChange"] == .null })
            #expect(
                await simulator.state.quantities(shop: "default", item: item1, location: location)
                    == SimulatorQuantities(available: 13, onHand: 13)
            )
            #expect(await onHand(simulator, item2, other) == 6)
            #expect(answer.json.at("extensions", "cost", "actualQueryCost")?.intValue == 13)
        }
    }

    @Test func anyUserErrorAppliesNothing() async throws {
        try await withTestSimulator(shops: [SimulatorTestShops.standard(onHand: 10)]) { simulator in
            let answer = try await SimulatorHTTP(simulator).post(
                Documents.adjust,
                variables: Documents.adjustVariables(
                    key: "k1",
                    changes: [
                        (item1, location, 3), (SimulatorTestShops.unknownItem, location, 1), (item2, location, 2),
                    ]
                )
            )
            let payload = try #require(answer.json.at("data", "inventoryAdjustQuantities"))
            #expect(payload["inventoryAdjustmentGroup"] == .null)
            let errors = try #require(payload["userErrors"]?.arrayValue)
            #expect(errors.count == 1)
            #expect(errors.first?["code"] == .string("INVALID_INVENTORY_ITEM"))
            #expect(errors.first?["field"] == .array(["input", "changes", "1", "inventoryItemId"].map(SimJSON.string)))
            #expect(await onHand(simulator, item1, location) == 10)
            #expect(await onHand(simulator, item2, location) == 10)
            #expect(await simulator.state.calls().last?.outcome == .refused)
        }
    }

    @Test func notStockedIsItemNotStockedAtLocation() async throws {
        let shop = SimulatorShop(
            name: "default",
            locations: [location, other],
            items: [SimulatorItem(id: item1, sku: "A", levels: [location: 1])]
        )
        try await withTestSimulator(shops: [shop]) { simulator in
            for (document, variables, root) in [
                (
                    Documents.adjust, Documents.adjustVariables(key: "a", changes: [(item1, other, 1)]),
                    "inventoryAdjustQuantities"
                ),
                (
                    Documents.set, Documents.setVariables(key: "s", quantities: [(item1, other, 5, 0)]),
                    "inventorySetQuantities"
                ),
            ] {
                let answer = try await SimulatorHTTP(simulator).post(document, variables: variables)
                let error = answer.json.at("data", root, "userErrors", "0")
                #expect(error?["code"] == .string("ITEM_NOT_STOCKED_AT_LOCATION"), "\(root)")
                #expect(answer.json.at("data", root, "inventoryAdjustmentGroup") == .null)
            }
        }
    }

    @Test func twoHundredFiftyRowsPassAndTwoHundredFiftyOneAreRefused() async throws {
        try await withTestSimulator(shops: [SimulatorTestShops.standard(count: 251)]) { simulator in
            let http = SimulatorHTTP(simulator)
            let rows = (1...251).map { (SimulatorTestShops.item($0), location, 1) }
            let refused = try await http.post(
                Documents.adjust,
                variables: Documents.adjustVariables(key: "big", changes: rows)
            )
            #expect(refused.json.at("data", "inventoryAdjustQuantities") == .null)
            #expect(refused.json.at("errors", "0", "extensions", "code") == .string("MAX_INPUT_SIZE_EXCEEDED"))
            #expect(await onHand(simulator, SimulatorTestShops.item(1), location) == 0)

            let accepted = try await http.post(
                Documents.adjust,
                variables: Documents.adjustVariables(key: "max", changes: Array(rows.prefix(250)))
            )
            #expect(accepted.json.at("data", "inventoryAdjustQuantities", "userErrors") == .array([]))
            #expect(await onHand(simulator, SimulatorTestShops.item(250), location) == 1)
            #expect(await onHand(simulator, SimulatorTestShops.item(251), location) == 0)
        }
    }

    @Test func setOnHandMovesAvailableByTheSameDelta() async throws {
        try await withTestSimulator(shops: [SimulatorTestShops.standard(onHand: 4)]) { simulator in
            let answer = try await SimulatorHTTP(simulator).post(
                Documents.set,
                variables: Documents.setVariables(
                    key: "s1",
                    quantities: [(item1, location, 9, 4), (item2, location, 4, 4)]
                )
            )
            let changes = answer.json.at("data", "inventorySetQuantities", "inventoryAdjustmentGroup", "changes")
            // The unchanged row is left out.
            #expect(changes?.arrayValue?.map { $0["delta"]?.intValue } == [5, 5])
            #expect(
                await simulator.state.quantities(shop: "default", item: item1, location: location)
                    == SimulatorQuantities(available: 9, onHand: 9)
            )
        }
    }

    /// CHANGE_FROM_QUANTITY_STALE follows the schema's InventorySetQuantitiesUserErrorCode; no capture exists.
    @Test func staleChangeFromQuantityIsRefused() async throws {
        try await withTestSimulator(shops: [SimulatorTestShops.standard(onHand: 4)]) { simulator in
            try await simulator.state.setLevel(
                shop: "default",
                item: item1,
                location: location,
                available: 6,
                onHand: 6
            )
            let answer = try await SimulatorHTTP(simulator).post(
                Documents.set,
                variables: Documents.setVariables(
                    key: "s1",
                    quantities: [(item2, location, 1, 4), (item1, location, 9, 4)]
                )
            )
            let errors = answer.json.at("data", "inventorySetQuantities", "userErrors")?.arrayValue ?? []
            #expect(errors.map { $0["code"]?.stringValue } == ["CHANGE_FROM_QUANTITY_STALE"])
            #expect(
                errors.first?["field"]
                    == .array(["input", "quantities", "1", "changeFromQuantity"].map(SimJSON.string))
            )
            #expect(await onHand(simulator, item2, location) == 4)
            #expect(await onHand(simulator, item1, location) == 6)
        }
    }

    @Test func setValidatesNamesBoundsAndDuplicates() async throws {
        try await withTestSimulator { simulator in
            let http = SimulatorHTTP(simulator)
            let badName = try await http.post(
                Documents.set,
                variables: Documents.setVariables(key: "n", name: "damaged", quantities: [(item1, location, 1, 0)])
            )
            #expect(
                badName.json.at("data", "inventorySetQuantities", "userErrors", "0", "code") == .string("INVALID_NAME")
            )
            let negative = try await http.post(
                Documents.set,
                variables: Documents.setVariables(key: "q", quantities: [(item1, location, -1, 0)])
            )
            #expect(
                negative.json.at("data", "inventorySetQuantities", "userErrors", "0", "code")
                    == .string("INVALID_QUANTITY_NEGATIVE")
            )
            let tooHigh = try await http.post(
                Documents.set,
                variables: Documents.setVariables(key: "h", quantities: [(item1, location, 1_000_000_001, 0)])
            )
            #expect(
                tooHigh.json.at("data", "inventorySetQuantities", "userErrors", "0", "code")
                    == .string("INVALID_QUANTITY_TOO_HIGH")
            )
            let duplicate = try await http.post(
                Documents.set,
                variables: Documents.setVariables(
                    key: "d",
                    quantities: [(item1, location, 1, 0), (item1, location, 2, 0)]
                )
            )
            let fields = duplicate.json.at("data", "inventorySetQuantities", "userErrors")?.arrayValue?.map {
                $0["field"]
            }
            #expect(
                fields == [
                    .array(["input", "quantities", "0", "locationId"].map(SimJSON.string)),
                    .array(["input", "quantities", "1", "locationId"].map(SimJSON.string)),
                ]
            )
            let unknownLocation = try await http.post(
                Documents.set,
                variables: Documents.setVariables(
                    key: "l",
                    quantities: [(item1, SimulatorTestShops.unknownLocation, 1, 0)]
                )
            )
            #expect(
                unknownLocation.json.at("data", "inventorySetQuantities", "userErrors", "0", "code")
                    == .string("INVALID_LOCATION")
            )
            #expect(await onHand(simulator, item1, location) == 0)
        }
    }

    // MARK: - Idempotency (Shopify's documented behaviour; no replay was ever captured)

    @Test func sameKeySameParametersReplaysWithoutApplyingAgain() async throws {
        try await withTestSimulator { simulator in
            let http = SimulatorHTTP(simulator)
            let variables = Documents.adjustVariables(key: "retry-me", changes: [(item1, location, 5)])
            let first = try await http.post(Documents.adjust, variables: variables)
            let second = try await http.post(Documents.adjust, variables: variables)
            #expect(first.json["data"] == second.json["data"])
            #expect(await onHand(simulator, item1, location) == 5)
            #expect(await simulator.state.calls().map(\.outcome) == [.applied, .replayed])
        }
    }

    @Test func sameKeyOtherParametersIsAMismatch() async throws {
        try await withTestSimulator { simulator in
            let http = SimulatorHTTP(simulator)
            _ = try await http.post(
                Documents.adjust,
                variables: Documents.adjustVariables(key: "k", changes: [(item1, location, 5)])
            )
            let answer = try await http.post(
                Documents.adjust,
                variables: Documents.adjustVariables(key: "k", changes: [(item1, location, 6)])
            )
            // The shape of the only IDEMPOTENCY_* capture (location-activate-deactivate-lifecycle.json).
            #expect(
                answer.json.at("data", "inventoryAdjustQuantities", "userErrors")
                    == .array([
                        .obj([
                            ("field", .null),
                            (
                                "message",
                                .string("The same idempotency key cannot be used with different operation parameters.")
                            ),
                            ("code", .string("IDEMPOTENCY_KEY_PARAMETER_MISMATCH")),
                        ])
                    ])
            )
            #expect(answer.json.at("data", "inventoryAdjustQuantities", "inventoryAdjustmentGroup") == .null)
            #expect(await onHand(simulator, item1, location) == 5)
        }
    }

    @Test func keysArePerShop() async throws {
        let shops = [SimulatorTestShops.standard(name: "main"), SimulatorTestShops.standard(name: "au")]
        try await withTestSimulator(shops: shops) { simulator in
            let variables = Documents.adjustVariables(key: "same", changes: [(item1, location, 2)])
            _ = try await SimulatorHTTP(simulator, shop: "main").post(Documents.adjust, variables: variables)
            _ = try await SimulatorHTTP(simulator, shop: "au").post(Documents.adjust, variables: variables)
            #expect(await simulator.state.quantities(shop: "main", item: item1, location: location)?.onHand == 2)
            #expect(await simulator.state.quantities(shop: "au", item: item1, location: location)?.onHand == 2)
        }
    }
}
