import Foundation
import ShopifySimulator
import SimulatorTestSupport
import Testing

/// Replays captured requests from `vendor/shopify/fixtures/2026-04` against the simulator and compares the
/// response shapes (keys, codes, messages, field paths, null groups, actual cost).
@Suite(.timeLimit(.minutes(1)))
struct FixtureReplayTests {
    /// A shop holding the captured items (stocked with `onHand` at `location`) and the captured store's locations.
    static func capturedShop(
        items: [String],
        location: String = SimulatorTestShops.shopLocation,
        onHand: Int = 0
    ) -> SimulatorShop {
        var locations = [SimulatorTestShops.shopLocation, SimulatorTestShops.customLocation]
        if !locations.contains(location) { locations.append(location) }
        return SimulatorShop(
            name: "default",
            locations: locations,
            items: items.map { SimulatorItem(id: $0, sku: nil, levels: [location: onHand]) },
            locationNames: [
                SimulatorTestShops.shopLocation: "Shop location",
                SimulatorTestShops.customLocation: "My Custom Location",
            ]
        )
    }

    /// Sends the step's request (its captured query, or `query` where the capture has none) and returns the
    /// differences from the captured response.
    static func replay(
        _ simulator: RunningSimulator,
        _ file: String,
        _ path: [String],
        query: String? = nil
    ) async throws -> [String] {
        let step = try ShopifyFixtures.step(file, path)
        let document = try #require(query ?? step["query"]?.stringValue, "no query for \(path) in \(file)")
        let answer = try await SimulatorHTTP(simulator).post(
            document,
            variables: step["variables"] ?? .obj([]),
            operationName: step["operationName"]?.stringValue
        )
        #expect(answer.status == 200)
        let expected = try #require(ShopifyFixtures.responseBody(of: step))
        return ResponseShape.differences(expected: expected, actual: answer.json)
    }

    @Test(
        "inventory-quantity-contracts-2026-04.json: set, adjust, missing directive and changeFromQuantity, unknown ids"
    )
    func quantityContracts() async throws {
        let file = "inventory-quantity-contracts-2026-04.json"
        let item = "gid://shopify/InventoryItem/53469430055218"
        try await withTestSimulator(shops: [Self.capturedShop(items: [item])]) { simulator in
            let steps: [([String], String)] = [
                (["inventorySetQuantities"], Documents.set),
                (["missingSetIdempotency"], Documents.setWithoutIdempotency),
                (["missingSetChangeFromQuantity"], Documents.set),
                (["legacySetShape"], Documents.set),
                (["inventoryAdjustQuantities"], Documents.adjust),
                (["missingAdjustIdempotency"], Documents.adjustWithoutIdempotency),
                (["missingAdjustChangeFromQuantity"], Documents.adjustWithoutIdempotency),
                (["unknownIdValidation", "setUnknownInventoryItem"], Documents.set),
                (["unknownIdValidation", "setUnknownLocation"], Documents.set),
                (["unknownIdValidation", "adjustUnknownInventoryItem"], Documents.adjust),
                (["unknownIdValidation", "adjustUnknownLocation"], Documents.adjust),
            ]
            for (path, document) in steps {
                let differences = try await Self.replay(simulator, file, path, query: document)
                #expect(differences == [], "\(path.joined(separator: "."))")
            }
            // set 0 -> 5, then adjust +2: the refused calls in between applied nothing.
            let level = await simulator.state.quantities(
                shop: "default",
                item: item,
                location: SimulatorTestShops.shopLocation
            )
            #expect(level == SimulatorQuantities(available: 7, onHand: 7))
        }
    }

    static let zeroDeltaDocument = """
        mutation ZeroDelta($input: InventoryAdjustQuantitiesInput!, $idempotencyKey: String!) {
          inventoryAdjustQuantities(input: $input) @idempotent(key: $idempotencyKey) {
            inventoryAdjustmentGroup {
              reason referenceDocumentUri
              changes { name delta quantityAfterChange item { id } location { id } }
            }
            userErrors { field message code }
          }
        }
        """

    @Test("inventory-adjust-zero-delta-noop.json", arguments: ["allZero", "mixedZeroAndNonzero"])
    func zeroDelta(step: String) async throws {
        let items = ["gid://shopify/InventoryItem/53489877745970", "gid://shopify/InventoryItem/53489877778738"]
        try await withTestSimulator(shops: [Self.capturedShop(items: items)]) { simulator in
            let differences = try await Self.replay(
                simulator,
                "inventory-adjust-zero-delta-noop.json",
                [step],
                query: Self.zeroDeltaDocument
            )
            #expect(differences == [])
        }
    }

    @Test("inventory-existence-validation.json: unknown item and location in one change")
    func existence() async throws {
        try await withTestSimulator(shops: [Self.capturedShop(items: [])]) { simulator in
            let differences = try await Self.replay(
                simulator,
                "inventory-existence-validation.json",
                ["adjustUnknownInventoryItem"]
            )
            #expect(differences == [])
        }
    }

    @Test(
        "inventorySetQuantities-name-validation.json",
        arguments: ["damaged", "committed", "onHand", "availableTooHigh", "duplicatePair"]
    )
    func setNameValidation(name: String) async throws {
        try await replayCase("inventorySetQuantities-name-validation.json", name)
    }

    @Test(
        "inventorySetQuantities-quantity-bounds.json",
        arguments: ["onHandNegative", "availableTooLow", "availableNegativeWithinBounds"]
    )
    func setQuantityBounds(name: String) async throws {
        try await replayCase("inventorySetQuantities-quantity-bounds.json", name)
    }

    /// A `cases.<name>` step whose setup names the item and location it starts from (at 0).
    private func replayCase(_ file: String, _ name: String) async throws {
        let setup = try ShopifyFixtures.step(file, ["cases", name, "setup"])
        let item = try #require(setup["inventoryItemId"]?.stringValue)
        let location = try #require(setup["locationId"]?.stringValue)
        try await withTestSimulator(shops: [Self.capturedShop(items: [item], location: location)]) { simulator in
            let differences = try await Self.replay(simulator, file, ["cases", name])
            #expect(differences == [])
        }
    }

    @Test("inventory-reason-validation.json: the 17 accepted reasons", arguments: InventoryReasons.all)
    func acceptedReason(reason: String) async throws {
        try await replayReason(["acceptedReasonCases", reason])
    }

    @Test(
        "inventory-reason-validation.json: INVALID_REASON",
        arguments: ["unknownReasonSet", "emptyReasonSet", "unknownReasonAdjust"]
    )
    func invalidReason(name: String) async throws {
        try await replayReason(["invalidReasonCases", name])
    }

    private func replayReason(_ path: [String]) async throws {
        // The captured same-value sets: item at 1 in the HAR-571 location.
        let shop = Self.capturedShop(
            items: ["gid://shopify/InventoryItem/53237600747826"],
            location: "gid://shopify/Location/112829759794",
            onHand: 1
        )
        try await withTestSimulator(shops: [shop]) { simulator in
            let differences = try await Self.replay(simulator, "inventory-reason-validation.json", path)
            #expect(differences == [])
        }
    }

    @Test("inventory-adjust-name-allowlist.json", arguments: ["adjustOnHand", "adjustCommitted"])
    func adjustNameAllowlist(name: String) async throws {
        let shop = Self.capturedShop(items: ["gid://shopify/InventoryItem/53237602877746"])
        try await withTestSimulator(shops: [shop]) { simulator in
            let differences = try await Self.replay(simulator, "inventory-adjust-name-allowlist.json", ["cases", name])
            #expect(differences == [])
            let levels = await simulator.state.levels(shop: "default")
            #expect(levels["gid://shopify/InventoryItem/53237602877746"]?.locations.values.first?.onHand == 0)
        }
    }

    static let ledgerDocument = """
        mutation Ledger($input: InventoryAdjustQuantitiesInput!, $idempotencyKey: String!) {
          inventoryAdjustQuantities(input: $input) @idempotent(key: $idempotencyKey) {
            inventoryAdjustmentGroup {
              id createdAt reason
              changes { name delta quantityAfterChange ledgerDocumentUri item { id } location { id } }
            }
            userErrors { field message code }
          }
        }
        """

    @Test(
        "inventory-adjust-ledger-document-validation.json",
        arguments: [
            "missingLedgerDocument", "availableLedgerDocument", "internalLedgerDocument", "maxOneLedgerDocument",
            "validNonAvailableLedgerDocument",
        ]
    )
    func ledgerDocuments(name: String) async throws {
        let shop = Self.capturedShop(items: [
            "gid://shopify/InventoryItem/53495895949618", "gid://shopify/InventoryItem/53495895982386",
        ])
        try await withTestSimulator(shops: [shop]) { simulator in
            let differences = try await Self.replay(
                simulator,
                "inventory-adjust-ledger-document-validation.json",
                [name],
                query: Self.ledgerDocument
            )
            #expect(differences == [])
        }
    }

    @Test(
        "graphql-base-validation-unhappy-paths.json (2025-01): undefinedField on an unknown root",
        arguments: [
            (
                "unknownQueryRoot",
                "query GraphqlBaseValidationUnknownQueryRoot {\n  definitelyNotAShopifyQueryRoot {\n    id\n  }\n}"
            ),
            (
                "unknownMutationRoot",
                "mutation GraphqlBaseValidationUnknownMutationRoot {\n  definitelyNotAShopifyMutationRoot {\n    id\n  }\n}"
            ),
        ]
    )
    func unknownRoot(name: String, query: String) async throws {
        try await withTestSimulator { simulator in
            let step = try ShopifyFixtures.step(
                "graphql-base-validation-unhappy-paths.json",
                ["cases", name],
                version: "2025-01"
            )
            let answer = try await SimulatorHTTP(simulator).post(query)
            let expected = try #require(ShopifyFixtures.responseBody(of: step))
            #expect(ResponseShape.differences(expected: expected, actual: answer.json) == [])
            // Validation-stage errors carry no data and no cost.
            #expect(answer.json["data"] == nil && answer.json["extensions"] == nil)
        }
    }

    @Test(
        "graphql-request-execution-operation-name-defaults.json",
        arguments: ["missingOperationName", "unknownOperationName"]
    )
    func operationNames(name: String) async throws {
        try await withTestSimulator { simulator in
            let differences = try await Self.replay(
                simulator,
                "graphql-request-execution-operation-name-defaults.json",
                ["cases", name]
            )
            #expect(differences == [])
        }
    }
}

/// The reasons inventory-reason-validation.json accepts.
enum InventoryReasons {
    static let all = [
        "correction", "cycle_count_available", "damaged", "movement_canceled", "movement_created",
        "movement_received", "movement_updated", "other", "promotion", "quality_control", "received",
        "reservation_created", "reservation_deleted", "reservation_updated", "restock", "safety_stock",
        "shrinkage",
    ]
}
