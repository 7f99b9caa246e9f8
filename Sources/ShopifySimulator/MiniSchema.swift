/// The part of the Admin API schema the simulator answers: type name -> field name -> the field's named type.
///
/// A field outside this table is answered with Shopify's `undefinedField` error, as a real store answers a
/// field that does not exist; fields Shopify has but the simulator does not model are reported the same way.
enum MiniSchema {
    static let queryRoot = "QueryRoot"
    static let mutationRoot = "Mutation"

    static let types: [String: [String: String]] = [
        "QueryRoot": [
            "shop": "Shop", "nodes": "Node", "node": "Node", "inventoryItems": "InventoryItemConnection",
            "inventoryItem": "InventoryItem", "inventoryLevel": "InventoryLevel", "location": "Location",
            "locations": "LocationConnection", "bulkOperation": "BulkOperation",
            "currentBulkOperation": "BulkOperation",
        ],
        "Mutation": [
            "inventoryAdjustQuantities": "InventoryAdjustQuantitiesPayload",
            "inventorySetQuantities": "InventorySetQuantitiesPayload",
            "bulkOperationRunQuery": "BulkOperationRunQueryPayload",
        ],
        "Shop": ["id": "ID", "name": "String", "myshopifyDomain": "String"],
        "Node": ["id": "ID"],
        "InventoryItem": [
            "id": "ID", "sku": "String", "tracked": "Boolean", "legacyResourceId": "UnsignedInt64",
            "requiresShipping": "Boolean", "inventoryLevel": "InventoryLevel",
            "inventoryLevels": "InventoryLevelConnection",
        ],
        "InventoryLevel": [
            "id": "ID", "isActive": "Boolean", "item": "InventoryItem", "location": "Location",
            "quantities": "InventoryQuantity",
        ],
        "InventoryQuantity": ["id": "ID", "name": "String", "quantity": "Int", "updatedAt": "DateTime"],
        "Location": [
            "id": "ID", "name": "String", "isActive": "Boolean", "legacyResourceId": "UnsignedInt64",
            "inventoryLevels": "InventoryLevelConnection",
        ],
        "InventoryItemConnection": ["nodes": "InventoryItem", "edges": "InventoryItemEdge", "pageInfo": "PageInfo"],
        "InventoryItemEdge": ["cursor": "String", "node": "InventoryItem"],
        "InventoryLevelConnection": [
            "nodes": "InventoryLevel", "edges": "InventoryLevelEdge", "pageInfo": "PageInfo",
        ],
        "InventoryLevelEdge": ["cursor": "String", "node": "InventoryLevel"],
        "LocationConnection": ["nodes": "Location", "edges": "LocationEdge", "pageInfo": "PageInfo"],
        "LocationEdge": ["cursor": "String", "node": "Location"],
        "PageInfo": [
            "hasNextPage": "Boolean", "hasPreviousPage": "Boolean", "startCursor": "String", "endCursor": "String",
        ],
        "InventoryAdjustQuantitiesPayload": [
            "inventoryAdjustmentGroup": "InventoryAdjustmentGroup",
            "userErrors": "InventoryAdjustQuantitiesUserError",
        ],
        "InventorySetQuantitiesPayload": [
            "inventoryAdjustmentGroup": "InventoryAdjustmentGroup",
            "userErrors": "InventorySetQuantitiesUserError",
        ],
        "InventoryAdjustQuantitiesUserError": [
            "field": "String", "message": "String", "code": "InventoryAdjustQuantitiesUserErrorCode",
        ],
        "InventorySetQuantitiesUserError": [
            "field": "String", "message": "String", "code": "InventorySetQuantitiesUserErrorCode",
        ],
        "InventoryAdjustmentGroup": [
            "id": "ID", "createdAt": "DateTime", "reason": "String", "referenceDocumentUri": "String",
            "changes": "InventoryChange",
        ],
        "InventoryChange": [
            "name": "String", "delta": "Int", "quantityAfterChange": "Int", "ledgerDocumentUri": "String",
            "item": "InventoryItem", "location": "Location",
        ],
        "BulkOperationRunQueryPayload": ["bulkOperation": "BulkOperation", "userErrors": "BulkOperationUserError"],
        "BulkOperationUserError": ["field": "String", "message": "String", "code": "BulkOperationUserErrorCode"],
        "BulkOperation": [
            "id": "ID", "status": "BulkOperationStatus", "errorCode": "BulkOperationErrorCode",
            "createdAt": "DateTime", "completedAt": "DateTime", "objectCount": "UnsignedInt64",
            "rootObjectCount": "UnsignedInt64", "fileSize": "UnsignedInt64", "url": "URL", "partialDataUrl": "URL",
            "query": "String", "type": "BulkOperationType",
        ],
    ]

    /// Whether a type is a connection (a paginated list), what bulk queries count, nest and flatten.
    static func isConnection(_ type: String) -> Bool { type.hasSuffix("Connection") && types[type] != nil }

    /// Abstract types and the concrete types that satisfy them in fragments.
    static let abstractTypes: [String: Set<String>] = [
        "Node": ["InventoryItem", "InventoryLevel", "Location", "Shop", "InventoryAdjustmentGroup"]
    ]

    static func isComposite(_ type: String) -> Bool { types[type] != nil }

    /// Whether a fragment on `condition` applies to an object of `typeName`.
    static func fragment(_ condition: String?, applies typeName: String) -> Bool {
        guard let condition else { return true }
        return condition == typeName || abstractTypes[condition]?.contains(typeName) == true
    }

    /// Validation errors of a selection (undefinedField, selectionMismatch), shaped like Shopify's.
    static func validate(_ operation: OperationNode) -> [SimJSON] {
        let root = operation.kind == .mutation ? mutationRoot : queryRoot
        var errors: [SimJSON] = []
        var visitedFragments: Set<String> = []
        validate(
            operation.selections,
            on: root,
            path: [operation.pathName],
            fragments: operation.fragments,
            visited: &visitedFragments,
            errors: &errors
        )
        return errors
    }

    private static func validate(
        _ selections: [SelectionNode],
        on typeName: String,
        path: [String],
        fragments: [String: (typeCondition: String, selections: [SelectionNode])],
        visited: inout Set<String>,
        errors: inout [SimJSON]
    ) {
        for selection in selections {
            switch selection {
            case .field(let field):
                if field.name == "__typename" { continue }
                let fieldPath = path + [field.responseKey]
                guard let fieldType = types[typeName]?[field.name] else {
                    errors.append(
                        error(
                            "Field '\(field.name)' doesn't exist on type '\(typeName)'",
                            field.position,
                            fieldPath,
                            [
                                ("code", .string("undefinedField")), ("typeName", .string(typeName)),
                                ("fieldName", .string(field.name)),
                            ]
                        )
                    )
                    continue
                }
                if isComposite(fieldType) {
                    guard let inner = field.selections else {
                        errors.append(
                            error(
                                "Field must have selections (field '\(field.name)' returns \(fieldType) but has no"
                                    + " selections. Did you mean '\(field.name) { ... }'?)",
                                field.position,
                                fieldPath,
                                [
                                    ("code", .string("selectionMismatch")),
                                    ("nodeName", .string("field '\(field.name)'")), ("typeName", .string(fieldType)),
                                ]
                            )
                        )
                        continue
                    }
                    validate(
                        inner,
                        on: fieldType,
                        path: fieldPath,
                        fragments: fragments,
                        visited: &visited,
                        errors: &errors
                    )
                } else if field.selections != nil {
                    errors.append(
                        error(
                            "Selections can't be made on scalars (field '\(field.name)' returns \(fieldType) but has"
                                + " selections [...])",
                            field.position,
                            fieldPath,
                            [
                                ("code", .string("selectionMismatch")),
                                ("nodeName", .string("field '\(field.name)'")), ("typeName", .string(fieldType)),
                            ]
                        )
                    )
                }
            case .inlineFragment(let condition, let inner):
                validate(
                    inner,
                    on: condition ?? typeName,
                    path: path,
                    fragments: fragments,
                    visited: &visited,
                    errors: &errors
                )
            case .fragmentSpread(let name):
                guard let fragment = fragments[name] else {
                    errors.append(
                        error(
                            "Fragment \(name) was used, but not defined",
                            nil,
                            path,
                            [("code", .string("useAndDefineFragment")), ("fragmentName", .string(name))]
                        )
                    )
                    continue
                }
                guard visited.insert(name).inserted else { continue }
                validate(
                    fragment.selections,
                    on: fragment.typeCondition,
                    path: path,
                    fragments: fragments,
                    visited: &visited,
                    errors: &errors
                )
            }
        }
    }

    static func error(
        _ message: String,
        _ position: SourcePosition?,
        _ path: [String]?,
        _ extensions: [(String, SimJSON)]
    ) -> SimJSON {
        var members: [(String, SimJSON)] = [("message", .string(message))]
        if let position { members.append(("locations", .array([position.json]))) }
        if let path { members.append(("path", .array(path.map(SimJSON.string)))) }
        members.append(("extensions", .object(extensions)))
        return .object(members)
    }
}
