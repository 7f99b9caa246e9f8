import Foundation
import GraphQL
import ShopifyAPI
import Testing

/// Every document the client sends validates against the live-introspected 2026-07 Admin schema.
@Suite struct SchemaValidationTests {
    /// Built once per test run: parsing the 3.8 MB SDL is slow in debug builds.
    static let schema: Result<GraphQLSchema, any Error> = Result {
        let sdl = try String(contentsOf: ShopifyMaterial.schemaFile, encoding: .utf8)
        return try buildSchema(source: sdl, assumeValidSDL: true)
    }

    static func errors(of document: String) throws -> [String] {
        let schema = try Self.schema.get()
        let ast = try parse(source: document)
        return validate(schema: schema, ast: ast).map(\.message)
    }

    @Test func schemaDefinesTheIdempotentDirective() throws {
        let schema = try Self.schema.get()
        let directive = try #require(schema.getDirective(name: "idempotent"))
        #expect(directive.args.map(\.name) == ["key"])
    }

    @Test(arguments: ShopifyDocuments.all.map(\.operationName))
    func documentValidates(operationName: String) throws {
        let document = try #require(ShopifyDocuments.all.first { $0.operationName == operationName }?.document)
        #expect(document.contains("\(operationName)"))
        #expect(try Self.errors(of: document) == [])
    }

    /// The check can fail: a field the schema lacks, a legacy input variable type and an unknown directive.
    @Test(arguments: [
        "query OnHand($ids: [ID!]!) { nodes(ids: $ids) { ... on InventoryItem { id onHandQuantity } } }",
        "mutation M($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) @idempotentKey(key: \"k\") { userErrors { field } } }",
        "mutation M($input: InventoryAdjustQuantitiesInput!, $key: Int!) { inventoryAdjustQuantities(input: $input) @idempotent(key: $key) { userErrors { field } } }",
    ])
    func wrongDocumentFails(document: String) throws {
        #expect(try !Self.errors(of: document).isEmpty)
    }

    /// The set input has no legacy `ignoreCompareQuantity` in 2026-07, so the client never sends it.
    @Test func setInputHasNoIgnoreCompareQuantity() throws {
        let schema = try Self.schema.get()
        let input = try #require(schema.getType(name: "InventorySetQuantitiesInput") as? GraphQLInputObjectType)
        let fields = try input.fields()
        #expect(fields["ignoreCompareQuantity"] == nil)
        #expect(fields["quantities"] != nil)
        let row = try #require(schema.getType(name: "InventoryQuantityInput") as? GraphQLInputObjectType)
        #expect(try row.fields()["changeFromQuantity"] != nil)
    }
}
