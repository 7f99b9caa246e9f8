import Foundation
import TestSupport
import Testing

@testable import ShopifySyncCore

/// A catalog text that must be refused with errors on exactly `lines`, the first mentioning `mentions`.
struct BadCatalog: Sendable, CustomTestStringConvertible {
    var label: String
    var text: String
    var lines: [Int?]
    var mentions: String
    var knownStores: Set<String>? = nil

    var testDescription: String { label }
}

@Suite("Catalog: reading catalog.csv")
struct CatalogTests {
    static let header = "sku,store,inventory_item_id,sync\n"

    /// Writes `text` to a catalog file in a new temporary folder and loads it.
    static func load(_ text: String, knownStores: Set<String>? = nil) throws -> Catalog {
        try withCatalogFile(text) { path in try Catalog.load(path: path, knownStores: knownStores) }
    }

    static func withCatalogFile<Result>(_ text: String, _ body: (String) throws -> Result) throws -> Result {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/catalog.csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try body(path)
    }

    @Test func contractExample() throws {
        let catalog = try Self.load(
            """
            sku,store,inventory_item_id,sync
            TEE-RED-M,main,gid://shopify/InventoryItem/111,true
            TEE-RED-M,au,8123456,true
            MUG-01,main,,false

            """
        )
        #expect(
            catalog.entries == [
                Catalog.Entry(sku: "MUG-01", store: "main", inventoryItemID: nil, sync: false, line: 4),
                Catalog.Entry(
                    sku: "TEE-RED-M",
                    store: "au",
                    inventoryItemID: "gid://shopify/InventoryItem/8123456",
                    sync: true,
                    line: 3
                ),
                Catalog.Entry(
                    sku: "TEE-RED-M",
                    store: "main",
                    inventoryItemID: "gid://shopify/InventoryItem/111",
                    sync: true,
                    line: 2
                ),
            ]
        )
        #expect(catalog.entries(forSKU: "TEE-RED-M").map(\.store) == ["au", "main"])
        #expect(catalog.entries(forSKU: "NOPE").isEmpty)
        #expect(catalog.syncedEntries(store: "main").map(\.sku) == ["TEE-RED-M"])
        #expect(catalog.syncedEntries(store: "au").map(\.sku) == ["TEE-RED-M"])
    }

    @Test(arguments: [
        ("true", true), ("TRUE", true), ("1", true), ("yes", true), ("", true), ("false", false), ("False", false),
        ("0", false), ("no", false),
    ])
    func syncValues(_ text: String, _ sync: Bool) throws {
        let catalog = try Self.load(Self.header + "A,main,1,\(text)\n")
        #expect(catalog.entries.map(\.sync) == [sync])
    }

    @Test func columnsInAnyOrderWithExtrasAndQuotesAndSpaces() throws {
        let catalog = try Self.load(
            """
            Store , SKU,note,sync,inventory_item_id
            main, "SKU,WITH,COMMAS" ,"a note",true, 42 
            au,plain,,false,gid://shopify/InventoryItem/7

            """
        )
        #expect(
            catalog.entries
                == [
                    Catalog.Entry(
                        sku: "SKU,WITH,COMMAS",
                        store: "main",
                        inventoryItemID: "gid://shopify/InventoryItem/42",
                        sync: true,
                        line: 2
                    ),
                    Catalog.Entry(
                        sku: "plain",
                        store: "au",
                        inventoryItemID: "gid://shopify/InventoryItem/7",
                        sync: false,
                        line: 3
                    ),
                ].sorted { $0.sku < $1.sku }
        )
    }

    @Test func blankLinesAreSkippedAndLinesStayRight() throws {
        let catalog = try Self.load(Self.header + "\nA,main,1,true\n\n\nB,main,2,true\n,,,\nC,main,,true\n")
        #expect(catalog.entries.map(\.sku) == ["A", "B", "C"])
        #expect(catalog.entries.map(\.line) == [3, 6, 8])
    }

    @Test func crlfLineEndings() throws {
        let catalog = try Self.load("sku,store,inventory_item_id,sync\r\nA,main,1,true\r\nB,au,2,false\r\n")
        #expect(catalog.entries.map(\.sku) == ["A", "B"])
        #expect(catalog.entries.map(\.line) == [2, 3])
        #expect(catalog.entries.map(\.sync) == [true, false])
    }

    @Test func knownStoresAcceptsConfiguredStores() throws {
        let catalog = try Self.load(Self.header + "A,main,1,true\nA,au,2,true\n", knownStores: ["main", "au"])
        #expect(catalog.entries.count == 2)
    }

    // MARK: - Errors

    static let badCatalogs: [BadCatalog] = [
        BadCatalog(
            label: "duplicate (sku, store) names both lines",
            text: header + "A,main,1,true\nB,main,2,true\nA,main,3,true\n",
            lines: [4],
            mentions: "line 2"
        ),
        BadCatalog(
            label: "unknown store when stores are known",
            text: header + "A,main,1,true\nA,eu,2,true\n",
            lines: [3],
            mentions: "eu",
            knownStores: ["main", "au"]
        ),
        BadCatalog(label: "bad sync value", text: header + "A,main,1,maybe\n", lines: [2], mentions: "maybe"),
        BadCatalog(
            label: "id of another kind",
            text: header + "A,main,gid://shopify/Product/1,true\n",
            lines: [2],
            mentions: "Product"
        ),
        BadCatalog(label: "id not a number", text: header + "A,main,12a,true\n", lines: [2], mentions: "12a"),
        BadCatalog(label: "id negative", text: header + "A,main,-5,true\n", lines: [2], mentions: "-5"),
        BadCatalog(label: "empty sku", text: header + "A,main,1,true\n,main,2,true\n", lines: [3], mentions: "sku"),
        BadCatalog(
            label: "sku 256 characters",
            text: header + String(repeating: "S", count: 256) + ",main,1,true\n",
            lines: [2],
            mentions: "sku"
        ),
        BadCatalog(label: "empty store", text: header + "A,,1,true\n", lines: [2], mentions: "store"),
        BadCatalog(
            label: "missing header column",
            text: "sku,store,sync\nA,main,true\n",
            lines: [1],
            mentions: "inventory_item_id"
        ),
        BadCatalog(
            label: "unterminated quote",
            text: header + "A,main,1,true\n\"B,main,2,true\n",
            lines: [3],
            mentions: "SKU B,main"
        ),
        BadCatalog(label: "empty file", text: "", lines: [1], mentions: "header"),
        BadCatalog(
            label: "error after blank lines",
            text: header + "\n\nA,main,1,true\n\nB,main,x,true\n",
            lines: [6],
            mentions: "\"x\""
        ),
        BadCatalog(
            label: "every bad row is reported",
            text: header + "A,main,1,maybe\nB,main,2,true\nC,main,zz,true\nB,main,3,true\n",
            lines: [2, 4, 5],
            mentions: "maybe"
        ),
    ]

    @Test(arguments: badCatalogs)
    func refuses(_ bad: BadCatalog) throws {
        try Self.withCatalogFile(bad.text) { path in
            let errors = #expect(throws: ConfigErrors.self) {
                try Catalog.load(path: path, knownStores: bad.knownStores)
            }
            #expect(errors?.errors.map(\.line) == bad.lines, "\(errors?.description ?? "")")
            #expect(errors?.errors.allSatisfy { $0.file == path } == true)
            #expect(errors?.errors.first?.message.contains(bad.mentions) == true, "\(errors?.description ?? "")")
        }
    }

    @Test func duplicateNamesTheSKUAndStore() throws {
        try Self.withCatalogFile(Self.header + "TEE-RED-M,au,1,true\nTEE-RED-M,au,2,false\n") { path in
            let errors = #expect(throws: ConfigErrors.self) { try Catalog.load(path: path) }
            let error = try #require(errors?.errors.first)
            #expect(error.description.hasPrefix("\(path):3: "))
            #expect(error.message.contains("TEE-RED-M") && error.message.contains("au"))
            #expect(error.message.contains("line 2"))
        }
    }

    @Test func missingFile() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let errors = #expect(throws: ConfigErrors.self) { try Catalog.load(path: folder + "/none.csv") }
        #expect(errors?.errors.map(\.file) == [folder + "/none.csv"])
    }

    // MARK: - Ids

    @Test(arguments: [
        ("gid://shopify/InventoryItem/111", "gid://shopify/InventoryItem/111"),
        ("111", "gid://shopify/InventoryItem/111"),
        (" 8123456 ", "gid://shopify/InventoryItem/8123456"),
        ("gid://shopify/InventoryItem/", nil),
        ("gid://shopify/Location/1", nil),
        ("1.5", nil),
        ("", nil),
        ("123456789012345678901", nil),
    ])
    func normalizeInventoryItem(_ text: String, _ gid: String?) {
        #expect(ShopifyID.normalize(text, kind: "InventoryItem") == gid)
    }
}
