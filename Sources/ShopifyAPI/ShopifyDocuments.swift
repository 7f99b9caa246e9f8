/// Every GraphQL document shopify-sync sends, validated against the 2026-07 Admin schema in the tests.
public enum ShopifyDocuments {
    /// One kind of call, for cost estimates.
    public enum Operation: Sendable, Hashable {
        case adjust
        case set
        /// The on_hand read of `itemCount` items at one location.
        case onHand(itemCount: Int)
        case skuLookup
        case shopName
        /// `bulkOperationRunQuery`: starting a bulk read.
        case bulkRunQuery
        /// `bulkOperation(id:)`: one poll of a bulk read's status.
        case bulkOperation
    }

    /// `inventoryAdjustQuantities` with `@idempotent` on the mutation field; variables `input`, `key`.
    public static let adjust = """
        mutation AdjustInventory($input: InventoryAdjustQuantitiesInput!, $key: String!) {
          inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
            inventoryAdjustmentGroup { id reason referenceDocumentUri changes { name delta } }
            userErrors { field code message }
          }
        }
        """

    /// `inventorySetQuantities` with `@idempotent` on the mutation field; variables `input`, `key`.
    public static let set = """
        mutation SetInventory($input: InventorySetQuantitiesInput!, $key: String!) {
          inventorySetQuantities(input: $input) @idempotent(key: $key) {
            inventoryAdjustmentGroup { id reason referenceDocumentUri changes { name delta } }
            userErrors { field code message }
          }
        }
        """

    /// The `on_hand` quantity of up to 250 items at one location; variables `ids`, `location`.
    public static let onHand = """
        query OnHand($ids: [ID!]!, $location: ID!) {
          nodes(ids: $ids) {
            ... on InventoryItem {
              id
              inventoryLevel(locationId: $location) { quantities(names: ["on_hand"]) { name quantity } }
            }
          }
        }
        """

    /// Inventory items matching a search query (see ``skuSearchQuery(_:)``); variable `query`.
    public static let skuLookup = """
        query LookupSKU($query: String!) {
          inventoryItems(first: \(skuLookupPageSize), query: $query) { nodes { id sku } }
        }
        """

    /// The cheapest read: proves the endpoint and token work.
    public static let shopName = """
        query ShopName {
          shop { name }
        }
        """

    /// Starts a bulk query operation running the query document `query` (for example ``bulkOnHandQuery``).
    ///
    /// No `@idempotent`: Shopify requires it on inventory writes only, and a repeated start merely starts another
    /// read. `groupObjects` keeps its default, false: the JSONL lines then need not follow their parents, which
    /// ``BulkOnHand/parse(_:)`` does not rely on.
    public static let bulkRunQuery = """
        mutation BulkRunQuery($query: String!) {
          bulkOperationRunQuery(query: $query) {
            bulkOperation { id status }
            userErrors { field code message }
          }
        }
        """

    /// The state of one bulk operation; variable `id`.
    ///
    /// `objectCount`, `rootObjectCount` and `fileSize` are `UnsignedInt64`, which Shopify sends as JSON strings.
    public static let bulkOperation = """
        query BulkOperation($id: ID!) {
          bulkOperation(id: $id) {
            id status errorCode objectCount rootObjectCount fileSize url partialDataUrl
          }
        }
        """

    /// The query a bulk operation runs to read `on_hand` of every inventory level at every location.
    ///
    /// Two connections, nested two deep: Shopify allows at most five connections in a bulk query, nested at most
    /// two levels. In the result each location is one JSONL line (`id`) and each of its levels another
    /// (`item.id`, `quantities`, `__parentId` = the location's id); see ``BulkOnHand``. Pagination arguments are
    /// omitted: a bulk operation reads every node of a connection.
    public static let bulkOnHandQuery = """
        query BulkOnHand {
          locations {
            edges {
              node {
                id
                inventoryLevels {
                  edges { node { item { id } quantities(names: ["on_hand"]) { name quantity } } }
                }
              }
            }
          }
        }
        """

    /// Every document with its operation name, for validation.
    public static let all: [(operationName: String, document: String)] = [
        ("AdjustInventory", adjust),
        ("SetInventory", set),
        ("OnHand", onHand),
        ("LookupSKU", skuLookup),
        ("ShopName", shopName),
        ("BulkRunQuery", bulkRunQuery),
        ("BulkOperation", bulkOperation),
        ("BulkOnHand", bulkOnHandQuery),
    ]

    /// How many items one SKU search returns; more than one exact match means the SKU is ambiguous.
    public static let skuLookupPageSize = 10

    /// The most ids one on_hand read (and any input list) may carry.
    public static let maximumRows = 250

    /// The search query for one SKU, `sku:'<sku>'` with `\` and `'` escaped.
    ///
    /// Shopify's search may match more loosely than equality; callers keep only nodes whose `sku` is equal.
    public static func skuSearchQuery(_ sku: String) -> String {
        var escaped = ""
        for character in sku {
            if character == "\\" || character == "'" { escaped.append("\\") }
            escaped.append(character)
        }
        return "sku:'\(escaped)'"
    }

    /// A conservative estimate of the points a call costs, to check the bucket before sending it.
    ///
    /// Inventory writes were observed at 10-13 points whatever their row count; a small item read at about
    /// 4 points per item. Shopify refuses any query whose requested cost exceeds 1000, so no estimate
    /// exceeds that. A bulk read costs the mutation that starts it (10 points, as a mutation without a changed
    /// object) and each poll (a one-object read); Shopify's bulk operations guide presents bulk reads as the way
    /// to read without a client-side throttle, so the query it runs and the download are not charged here.
    public static func estimatedCost(_ operation: Operation) -> Double {
        switch operation {
        case .adjust, .set:
            return 13
        case .onHand(let itemCount):
            return min(1000, 2 + 4 * Double(max(0, itemCount)))
        case .skuLookup:
            return 2 + 2 * Double(skuLookupPageSize)
        case .shopName, .bulkOperation:
            return 1
        case .bulkRunQuery:
            return 10
        }
    }
}
