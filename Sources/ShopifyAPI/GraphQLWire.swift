// The JSON shapes of requests and responses, internal to the client.

// MARK: - Requests

struct GraphQLRequestBody<Variables: Encodable>: Encodable {
    var query: String
    var operationName: String
    var variables: Variables
}

struct NoVariables: Encodable {}

struct AdjustVariables: Encodable {
    struct Input: Encodable {
        var name: String
        var reason: String
        var referenceDocumentUri: String
        var changes: [Change]
    }

    struct Change: Encodable {
        var inventoryItemId: String
        var locationId: String
        var delta: Int

        private enum CodingKeys: String, CodingKey {
            case inventoryItemId, locationId, delta, changeFromQuantity
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(inventoryItemId, forKey: .inventoryItemId)
            try container.encode(locationId, forKey: .locationId)
            try container.encode(delta, forKey: .delta)
            // Shopify requires the key on every change; null skips its compare-and-swap check.
            try container.encodeNil(forKey: .changeFromQuantity)
        }
    }

    var input: Input
    var key: String

    init(_ request: AdjustRequest) {
        input = Input(
            name: "available",
            reason: request.reason,
            referenceDocumentUri: request.referenceDocumentURI,
            changes: request.changes.map {
                Change(inventoryItemId: $0.inventoryItemID, locationId: $0.locationID, delta: $0.delta)
            }
        )
        key = request.idempotencyKey
    }
}

struct SetVariables: Encodable {
    struct Input: Encodable {
        var name: String
        var reason: String
        var referenceDocumentUri: String
        var quantities: [Quantity]
    }

    struct Quantity: Encodable {
        var inventoryItemId: String
        var locationId: String
        var quantity: Int
        var changeFromQuantity: Int?

        private enum CodingKeys: String, CodingKey {
            case inventoryItemId, locationId, quantity, changeFromQuantity
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(inventoryItemId, forKey: .inventoryItemId)
            try container.encode(locationId, forKey: .locationId)
            try container.encode(quantity, forKey: .quantity)
            // Always present: an absent key fails the whole call (INVALID_FIELD_ARGUMENTS).
            if let changeFromQuantity {
                try container.encode(changeFromQuantity, forKey: .changeFromQuantity)
            } else {
                try container.encodeNil(forKey: .changeFromQuantity)
            }
        }
    }

    var input: Input
    var key: String

    init(_ request: SetRequest) {
        input = Input(
            name: "on_hand",
            reason: request.reason,
            referenceDocumentUri: request.referenceDocumentURI,
            quantities: request.quantities.map {
                Quantity(
                    inventoryItemId: $0.inventoryItemID,
                    locationId: $0.locationID,
                    quantity: $0.quantity,
                    changeFromQuantity: $0.changeFromQuantity
                )
            }
        )
        key = request.idempotencyKey
    }
}

struct OnHandVariables: Encodable {
    var ids: [String]
    var location: String
}

struct QueryVariables: Encodable {
    var query: String
}

struct IDVariables: Encodable {
    var id: String
}

// MARK: - Responses

/// A top-level `errors` entry.
struct GraphQLErrorEntry: Decodable, Sendable {
    struct Extensions: Decodable, Sendable {
        var code: String?
    }

    var message: String
    var extensions: Extensions?

    init(message: String, code: String? = nil) {
        self.message = message
        self.extensions = Extensions(code: code)
    }

    var code: String? { extensions?.code }
}

/// `{data, errors, extensions}`; `errors` may also be a bare string, as Shopify sends on some failures.
struct GraphQLResponse<Payload: Decodable>: Decodable {
    var data: Payload?
    var errors: [GraphQLErrorEntry]
    var cost: QueryCost?

    private enum CodingKeys: String, CodingKey {
        case data, errors, extensions
    }

    private struct Extensions: Decodable {
        var cost: QueryCost?
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        data = try container.decodeIfPresent(Payload.self, forKey: .data)
        if try !container.contains(.errors) || container.decodeNil(forKey: .errors) {
            errors = []
        } else if let list = try? container.decode([GraphQLErrorEntry].self, forKey: .errors) {
            errors = list
        } else if let text = try? container.decode(String.self, forKey: .errors) {
            errors = [GraphQLErrorEntry(message: text)]
        } else {
            errors = [GraphQLErrorEntry(message: "unrecognised errors value")]
        }
        // A cost we cannot read is not a reason to drop an otherwise good answer.
        cost = (try? container.decodeIfPresent(Extensions.self, forKey: .extensions))?.cost
    }
}

struct MutationPayload: Decodable {
    var userErrors: [ShopifyUserError]
}

struct AdjustData: Decodable {
    var inventoryAdjustQuantities: MutationPayload?
}

struct SetData: Decodable {
    var inventorySetQuantities: MutationPayload?
}

struct OnHandData: Decodable {
    struct Node: Decodable {
        struct Level: Decodable {
            var quantities: [Quantity]
        }

        struct Quantity: Decodable {
            var name: String
            var quantity: Int
        }

        var id: String?
        var inventoryLevel: Level?
    }

    var nodes: [Node?]?
}

struct SKULookupData: Decodable {
    struct Connection: Decodable {
        var nodes: [Item]
    }

    struct Item: Decodable {
        var id: String
        var sku: String?
    }

    var inventoryItems: Connection?
}

struct ShopNameData: Decodable {
    struct Shop: Decodable {
        var name: String
    }

    var shop: Shop?
}

struct BulkRunQueryData: Decodable {
    struct Payload: Decodable {
        var bulkOperation: Operation?
        var userErrors: [ShopifyUserError]
    }

    struct Operation: Decodable {
        var id: String
        var status: String
    }

    var bulkOperationRunQuery: Payload?
}

struct BulkOperationData: Decodable {
    struct Operation: Decodable {
        var id: String
        var status: String
        var errorCode: String?
        var objectCount: UnsignedInt64?
        var rootObjectCount: UnsignedInt64?
        var fileSize: UnsignedInt64?
        var url: String?
        var partialDataUrl: String?
    }

    /// Null for an id Shopify does not know.
    var bulkOperation: Operation?
}

/// Shopify's `UnsignedInt64`: a JSON string of digits (a number is accepted too).
struct UnsignedInt64: Decodable {
    var value: Int

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            value = number
        } else if let number = Int(try container.decode(String.self)) {
            value = number
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an UnsignedInt64")
        }
    }
}

/// `{"errors": "..."}` or `{"errors": {...}}` on a non-200 answer.
struct HTTPErrorBody: Decodable {
    var errors: String

    private enum CodingKeys: String, CodingKey {
        case errors
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let text = try? container.decode(String.self, forKey: .errors) {
            errors = text
        } else if let list = try? container.decode([GraphQLErrorEntry].self, forKey: .errors) {
            errors = list.map(\.message).joined(separator: "; ")
        } else {
            let map = try container.decode([String: String].self, forKey: .errors)
            errors = map.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
        }
    }
}
