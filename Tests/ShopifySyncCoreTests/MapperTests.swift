import Testing

@testable import ShopifySyncCore

@Suite("Mapper: where each line goes")
struct MapperTests {
    static func location(_ number: Int) -> String { "gid://shopify/Location/\(number)" }
    static func item(_ number: Int) -> String { "gid://shopify/InventoryItem/\(number)" }

    /// Stores: `main` (no lookups), `au` (looks SKUs up), `off` (disabled).
    static let config = SyncConfig(
        path: "/etc/shopify-sync/config.toml",
        stores: [
            "main": StoreConfig(
                name: "main",
                shop: "acme.myshopify.com",
                tokenFile: "/t/main",
                defaultLocation: location(9),
                lookupMissing: false,
                locations: ["WH1": location(1), "WH2": location(2)]
            ),
            "au": StoreConfig(
                name: "au",
                shop: "acme-au.myshopify.com",
                tokenFile: "/t/au",
                defaultLocation: location(19),
                lookupMissing: true,
                locations: ["WH1": location(11)]
            ),
            "off": StoreConfig(
                name: "off",
                shop: "acme-off.myshopify.com",
                enabled: false,
                tokenFile: "/t/off",
                defaultLocation: location(29)
            ),
        ]
    )

    static let catalog = Catalog(entries: [
        .init(sku: "TEE", store: "main", inventoryItemID: item(111), sync: true),
        .init(sku: "TEE", store: "au", inventoryItemID: item(222), sync: true),
        .init(sku: "MUG", store: "main", inventoryItemID: item(333), sync: false),
        .init(sku: "MUG", store: "au", inventoryItemID: item(444), sync: true),
        .init(sku: "NOID", store: "main", inventoryItemID: nil, sync: true),
        .init(sku: "NOID", store: "au", inventoryItemID: nil, sync: true),
        .init(sku: "CAP", store: "off", inventoryItemID: item(555), sync: true),
        .init(sku: "CAP", store: "main", inventoryItemID: item(556), sync: true),
    ])

    static let mapper = Mapper(config: config, catalog: catalog)

    static func targets(
        _ sku: String,
        location: String? = "WH1",
        type: MovementType = .receipt,
        order: Movement.Order? = nil
    ) -> [LineTarget] {
        let line = Movement.Line(sku: sku, location: location, delta: -1)
        let movement = Movement(id: "m-1", type: type, order: order, lines: [line])
        return mapper.targets(for: line, in: movement)
    }

    @Test func unknownSKU() {
        #expect(Self.targets("GHOST") == [.skip(store: nil, reason: .noInventoryItem)])
        #expect(Self.targets("GHOST").first?.store == nil)
    }

    @Test func sendsToEveryStoreTheSKUMapsTo() {
        #expect(
            Self.targets("TEE") == [
                .send(store: "au", inventoryItemID: Self.item(222), locationID: Self.location(11)),
                .send(store: "main", inventoryItemID: Self.item(111), locationID: Self.location(1)),
            ]
        )
    }

    @Test func syncFalseIsExcludedInThatStoreOnly() {
        #expect(
            Self.targets("MUG") == [
                .send(store: "au", inventoryItemID: Self.item(444), locationID: Self.location(11)),
                .skip(store: "main", reason: .excluded),
            ]
        )
    }

    /// A disabled store is mapped like any other: its lines are recorded and wait until it is enabled.
    @Test func disabledStoreHoldsItsLines() {
        #expect(
            Self.targets("CAP") == [
                .send(store: "main", inventoryItemID: Self.item(556), locationID: Self.location(1)),
                .send(store: "off", inventoryItemID: Self.item(555), locationID: Self.location(29)),
            ]
        )
    }

    @Test(arguments: [MovementType.pick, .shipment])
    func shopifyOrderIsNotSentToItsOwnStore(_ type: MovementType) {
        let order = Movement.Order(store: "main", id: "1001")
        #expect(
            Self.targets("TEE", type: type, order: order) == [
                .send(store: "au", inventoryItemID: Self.item(222), locationID: Self.location(11)),
                .skip(store: "main", reason: .shopifyOrder),
            ]
        )
        #expect(
            Self.targets("TEE", type: type, order: Movement.Order(store: "au", id: "7")) == [
                .skip(store: "au", reason: .shopifyOrder),
                .send(store: "main", inventoryItemID: Self.item(111), locationID: Self.location(1)),
            ]
        )
    }

    @Test(arguments: [MovementType.receipt, .adjustment, .stocktakeVariance, .transfer, .return])
    func orderRuleOnlyForPicksAndShipments(_ type: MovementType) {
        let order = Movement.Order(store: "main", id: "1001")
        #expect(Self.targets("TEE", type: type, order: order) == Self.targets("TEE", type: type))
        #expect(Self.targets("TEE", type: type, order: order).allSatisfy { if case .send = $0 { true } else { false } })
    }

    @Test(arguments: [MovementType.pick, .shipment])
    func orderInAnUnconfiguredStoreIsSentEverywhere(_ type: MovementType) {
        let order = Movement.Order(store: "amazon", id: "A-1")
        #expect(Self.targets("TEE", type: type, order: order) == Self.targets("TEE", type: .receipt))
        #expect(Self.targets("TEE", type: type, order: order).count == 2)
    }

    @Test(
        arguments: [
            ("WH1", 1, 11),
            ("WH2", 2, 19),
            ("WH7", 9, 19),
        ] as [(String?, Int, Int)] + [(nil, 9, 19)]
    )
    func locations(_ wms: String?, _ main: Int, _ au: Int) {
        #expect(
            Self.targets("TEE", location: wms) == [
                .send(store: "au", inventoryItemID: Self.item(222), locationID: Self.location(au)),
                .send(store: "main", inventoryItemID: Self.item(111), locationID: Self.location(main)),
            ]
        )
    }

    @Test func emptyItemIDIsLookedUpOnlyWhereAllowed() {
        #expect(
            Self.targets("NOID", location: "WH2") == [
                .lookup(store: "au", locationID: Self.location(19)),
                .skip(store: "main", reason: .noInventoryItem),
            ]
        )
        #expect(Self.targets("NOID").map(\.store) == ["au", "main"])
    }

    // MARK: - Bulk sync

    @Test func bulkGoesToEveryStoreWithoutOnlyStore() {
        let item = BulkSync.Item(sku: "TEE", location: "WH2", onHand: 4)
        #expect(
            Self.mapper.targets(for: item, onlyStore: nil) == [
                .send(store: "au", inventoryItemID: Self.item(222), locationID: Self.location(19)),
                .send(store: "main", inventoryItemID: Self.item(111), locationID: Self.location(2)),
            ]
        )
    }

    @Test func bulkOnlyStore() {
        let item = BulkSync.Item(sku: "TEE", location: "WH1", onHand: 4)
        #expect(
            Self.mapper.targets(for: item, onlyStore: "main") == [
                .send(store: "main", inventoryItemID: Self.item(111), locationID: Self.location(1))
            ]
        )
        #expect(Self.mapper.targets(for: item, onlyStore: "au").map(\.store) == ["au"])
        let mainOnly = BulkSync.Item(sku: "CAP", location: nil, onHand: 0)
        #expect(Self.mapper.targets(for: mainOnly, onlyStore: "au") == [.skip(store: "au", reason: .noInventoryItem)])
        #expect(
            Self.mapper.targets(for: mainOnly, onlyStore: "off") == [
                .send(store: "off", inventoryItemID: Self.item(555), locationID: Self.location(29))
            ]
        )
    }

    @Test func bulkKeepsTheOtherRules() {
        #expect(
            Self.mapper.targets(for: BulkSync.Item(sku: "MUG", location: nil, onHand: 1), onlyStore: "main") == [
                .skip(store: "main", reason: .excluded)
            ]
        )
        #expect(
            Self.mapper.targets(for: BulkSync.Item(sku: "NOID", location: nil, onHand: 1), onlyStore: nil) == [
                .lookup(store: "au", locationID: Self.location(19)),
                .skip(store: "main", reason: .noInventoryItem),
            ]
        )
        #expect(
            Self.mapper.targets(for: BulkSync.Item(sku: "GHOST", location: nil, onHand: 1), onlyStore: nil) == [
                .skip(store: nil, reason: .noInventoryItem)
            ]
        )
    }

    @Test func skipReasonCodesMatchTheContract() {
        #expect(LineReason.excluded.rawValue == "excluded")
        #expect(LineReason.inSnapshot.rawValue == "in_snapshot")
        #expect(LineReason.superseded.rawValue == "superseded")
        #expect(LineReason.noInventoryItem.rawValue == "no_inventory_item")
        #expect(LineReason.shopifyOrder.rawValue == "shopify_order")
    }
}
