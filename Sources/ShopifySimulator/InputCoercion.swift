/// Variable coercion for the mutation inputs the simulator models: what GraphQL reports as INVALID_VARIABLE before
/// any resolver runs (captured: `legacySetShape` in inventory-quantity-contracts-2026-04.json).
enum InputCoercion {
    struct FieldType {
        var name: String
        var type: String
        var nonNull: Bool
        var list = false
    }

    struct Problem {
        var path: [SimJSON]
        var explanation: String
    }

    static let inputTypes: [String: [FieldType]] = [
        "InventoryAdjustQuantitiesInput": [
            FieldType(name: "reason", type: "String", nonNull: true),
            FieldType(name: "name", type: "String", nonNull: true),
            FieldType(name: "referenceDocumentUri", type: "String", nonNull: false),
            FieldType(name: "changes", type: "InventoryChangeInput", nonNull: true, list: true),
        ],
        "InventoryChangeInput": [
            FieldType(name: "delta", type: "Int", nonNull: true),
            FieldType(name: "changeFromQuantity", type: "Int", nonNull: false),
            FieldType(name: "inventoryItemId", type: "ID", nonNull: true),
            FieldType(name: "locationId", type: "ID", nonNull: true),
            FieldType(name: "ledgerDocumentUri", type: "String", nonNull: false),
        ],
        "InventorySetQuantitiesInput": [
            FieldType(name: "reason", type: "String", nonNull: true),
            FieldType(name: "name", type: "String", nonNull: true),
            FieldType(name: "referenceDocumentUri", type: "String", nonNull: false),
            FieldType(name: "quantities", type: "InventoryQuantityInput", nonNull: true, list: true),
        ],
        "InventoryQuantityInput": [
            FieldType(name: "inventoryItemId", type: "ID", nonNull: true),
            FieldType(name: "locationId", type: "ID", nonNull: true),
            FieldType(name: "quantity", type: "Int", nonNull: true),
            FieldType(name: "changeFromQuantity", type: "Int", nonNull: false),
        ],
    ]

    /// The `input` type of each modelled mutation.
    static let mutationInput: [String: String] = [
        "inventoryAdjustQuantities": "InventoryAdjustQuantitiesInput",
        "inventorySetQuantities": "InventorySetQuantitiesInput",
    ]

    /// The row list of each modelled mutation input and the type name its messages use.
    static let rowList: [String: (list: String, typeName: String)] = [
        "inventoryAdjustQuantities": ("changes", "InventoryChangeInput"),
        "inventorySetQuantities": ("quantities", "InventoryQuantityInput"),
    ]

    /// The problems of `value` as an input object of `type` (empty when it coerces).
    static func problems(_ value: SimJSON, type: String, path: [SimJSON] = []) -> [Problem] {
        guard let fields = inputTypes[type] else { return [] }
        guard case .object(let members) = value else {
            return [Problem(path: path, explanation: "Expected \"\(value.text)\" to be a key-value object.")]
        }
        var problems: [Problem] = []
        for (key, _) in members where !fields.contains(where: { $0.name == key }) {
            problems.append(Problem(path: path + [.string(key)], explanation: "Field is not defined on \(type)"))
        }
        for field in fields {
            let fieldPath = path + [.string(field.name)]
            guard let member = value[field.name], !member.isNull else {
                if field.nonNull {
                    problems.append(Problem(path: fieldPath, explanation: "Expected value to not be null"))
                }
                continue
            }
            if field.list {
                let elements = member.arrayValue ?? [member]
                for (index, element) in elements.enumerated() {
                    let elementPath = member.arrayValue == nil ? fieldPath : fieldPath + [.int(index)]
                    if element.isNull {
                        problems.append(Problem(path: elementPath, explanation: "Expected value to not be null"))
                    } else {
                        problems += scalarOrObject(element, type: field.type, path: elementPath)
                    }
                }
            } else {
                problems += scalarOrObject(member, type: field.type, path: fieldPath)
            }
        }
        return problems
    }

    private static func scalarOrObject(_ value: SimJSON, type: String, path: [SimJSON]) -> [Problem] {
        if inputTypes[type] != nil { return problems(value, type: type, path: path) }
        let ok: Bool =
            switch (type, value) {
            case ("Int", .int(let number)): number >= Int(Int32.min) && number <= Int(Int32.max)
            case ("String", .string): true
            case ("ID", .string), ("ID", .int): true
            default: false
            }
        return ok ? [] : [Problem(path: path, explanation: "Could not coerce value \(value.text) to \(type)")]
    }

    /// Whether every row of the mutation's list carries a `changeFromQuantity` key (2026-04 rule; null is fine).
    static func rowsMissingChangeFrom(_ input: SimJSON, rootField: String) -> Bool {
        guard let list = rowList[rootField]?.list else { return false }
        return (input[list]?.arrayValue ?? []).contains { !$0.has("changeFromQuantity") }
    }
}
