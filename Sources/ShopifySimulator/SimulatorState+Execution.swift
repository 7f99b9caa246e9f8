import Foundation

extension SimulatorState {
    /// What one mutation root field produced.
    struct MutationResult {
        var value: SimJSON
        var error: SimJSON?
        var cost: Int
        var outcome: SimulatorCallOutcome
        var detail: String?
    }

    /// Static validation: selections, directives, variables and input coercion. Errors here carry no data and no
    /// cost, as the captured parse/validation-stage errors show.
    nonisolated func validate(
        _ operation: OperationNode,
        variables provided: [String: SimJSON]
    ) -> (variables: [String: SimJSON], errors: [SimJSON]) {
        if operation.kind == .subscription {
            return (
                [:],
                [
                    MiniSchema.error(
                        "Subscriptions are not supported",
                        operation.position,
                        nil,
                        [("code", .string("unsupportedOperation"))]
                    )
                ]
            )
        }
        var errors = MiniSchema.validate(operation)
        if operation.directives.contains(where: { $0.name == "idempotent" }) {
            errors.append(
                MiniSchema.error(
                    "'@idempotent' can't be applied to \(operation.kind.rawValue)s (allowed: fields)",
                    operation.directives.first { $0.name == "idempotent" }?.position,
                    [operation.pathName],
                    [
                        ("code", .string("directiveCannotBeApplied")), ("targetName", .string(operation.kind.rawValue)),
                        ("name", .string("idempotent")),
                    ]
                )
            )
        }
        for root in operation.rootFields {
            for directive in root.directives {
                switch directive.name {
                case "idempotent":
                    if !directive.arguments.contains(where: { $0.0 == "key" }) {
                        errors.append(
                            MiniSchema.error(
                                "Directive 'idempotent' is missing required arguments: key",
                                directive.position,
                                [operation.pathName, root.responseKey],
                                [
                                    ("code", .string("missingRequiredArguments")), ("className", .string("Directive")),
                                    ("name", .string("idempotent")), ("arguments", .string("key")),
                                ]
                            )
                        )
                    }
                case "include", "skip":
                    break
                default:
                    errors.append(
                        MiniSchema.error(
                            "Directive @\(directive.name) is not defined",
                            directive.position,
                            [operation.pathName, root.responseKey],
                            [("code", .string("undefinedDirective")), ("directiveName", .string(directive.name))]
                        )
                    )
                }
            }
            if operation.kind == .mutation, InputCoercion.mutationInput[root.name] != nil, root.argument("input") == nil
            {
                errors.append(missingArgument(root, "input", operation))
            }
            if root.name == "nodes", root.argument("ids") == nil {
                errors.append(missingArgument(root, "ids", operation))
            }
            if root.name == "bulkOperationRunQuery", root.argument("query") == nil {
                errors.append(missingArgument(root, "query", operation))
            }
            if root.name == "bulkOperation", root.argument("id") == nil {
                errors.append(missingArgument(root, "id", operation))
            }
        }
        guard errors.isEmpty else { return ([:], errors) }

        var variables: [String: SimJSON] = [:]
        for definition in operation.variableDefinitions {
            let value = provided[definition.name] ?? definition.defaultValue
            if definition.isNonNull, value == nil || value == .null {
                errors.append(
                    .obj([
                        (
                            "message",
                            .string(
                                "Variable $\(definition.name) of type \(definition.typeText) was provided invalid value"
                            )
                        ),
                        ("locations", .array(definition.position.map { [$0.json] } ?? [])),
                        (
                            "extensions",
                            .obj([
                                ("code", .string("INVALID_VARIABLE")), ("value", .null),
                                (
                                    "problems",
                                    .array([
                                        .obj([
                                            ("path", .array([])),
                                            ("explanation", .string("Expected value to not be null")),
                                        ])
                                    ])
                                ),
                            ])
                        ),
                    ])
                )
            }
            if let value { variables[definition.name] = value }
        }
        guard errors.isEmpty else { return (variables, errors) }

        for root in operation.rootFields where operation.kind == .mutation {
            guard let type = InputCoercion.mutationInput[root.name], let literal = root.argument("input") else {
                continue
            }
            let value = literal.resolve(variables)
            let problems = InputCoercion.problems(value, type: type)
            guard !problems.isEmpty else { continue }
            let summary = problems.map { problem in
                let path = problem.path.map { $0.stringValue ?? $0.text }.joined(separator: ".")
                return "\(path) (\(problem.explanation))"
            }.joined(separator: ", ")
            if case .variable(let name) = literal {
                let definition = operation.variableDefinitions.first { $0.name == name }
                errors.append(
                    .obj([
                        (
                            "message",
                            .string(
                                "Variable $\(name) of type \(definition?.typeText ?? type + "!") was provided invalid value"
                                    + " for \(summary)"
                            )
                        ),
                        ("locations", .array(definition?.position.map { [$0.json] } ?? [])),
                        (
                            "extensions",
                            .obj([
                                ("code", .string("INVALID_VARIABLE")), ("value", value),
                                (
                                    "problems",
                                    .array(
                                        problems.map { problem in
                                            .obj([
                                                ("path", .array(problem.path)),
                                                ("explanation", .string(problem.explanation)),
                                            ])
                                        }
                                    )
                                ),
                            ])
                        ),
                    ])
                )
            } else {
                errors.append(
                    MiniSchema.error(
                        "Argument 'input' on Field '\(root.name)' has an invalid value (\(summary)). Expected type"
                            + " '\(type)!'.",
                        root.position,
                        [operation.pathName, root.responseKey, "input"],
                        [
                            ("code", .string("argumentLiteralsIncompatible")), ("typeName", .string("Field")),
                            ("argumentName", .string("input")),
                        ]
                    )
                )
            }
        }
        return (variables, errors)
    }

    private nonisolated func missingArgument(_ root: FieldNode, _ name: String, _ operation: OperationNode) -> SimJSON {
        MiniSchema.error(
            "Field '\(root.name)' is missing required arguments: \(name)",
            root.position,
            [operation.pathName, root.responseKey],
            [
                ("code", .string("missingRequiredArguments")), ("className", .string("Field")),
                ("name", .string(root.name)), ("arguments", .string(name)),
            ]
        )
    }

    /// Runs one mutation root field: the 2026-04 top-level checks, idempotency, then the all-or-nothing write.
    func executeMutation(
        _ root: FieldNode,
        _ arguments: [String: SimJSON],
        operation: OperationNode,
        projector: Projector,
        shop: inout ShopModel
    ) -> MutationResult {
        let input = arguments["input"] ?? .null
        let (listName, rowType) = InputCoercion.rowList[root.name] ?? ("changes", "InventoryChangeInput")
        let rows = input[listName]?.arrayValue ?? []
        var inputPosition: SourcePosition?
        if case .variable(let name) = root.argument("input") {
            inputPosition = operation.variableDefinitions.first { $0.name == name }?.position
        }

        func topLevel(
            _ message: String,
            _ code: String,
            _ positions: [SourcePosition?],
            path: [String]? = nil
        )
            -> MutationResult
        {
            let error = SimJSON.obj([
                ("message", .string(message)),
                ("locations", .array(positions.compactMap { $0?.json })),
                ("extensions", .obj([("code", .string(code))])),
                ("path", .array((path ?? [root.responseKey]).map(SimJSON.string))),
            ])
            return MutationResult(value: .null, error: error, cost: 10, outcome: .refused, detail: code)
        }

        // Captured: a change without the changeFromQuantity key is INVALID_FIELD_ARGUMENTS, checked before the
        // directive (inventory-quantity-contracts-2026-04.json, missing*ChangeFromQuantity).
        if InputCoercion.rowsMissingChangeFrom(input, rootField: root.name) {
            return topLevel(
                "\(rowType) must include the following argument: changeFromQuantity.",
                "INVALID_FIELD_ARGUMENTS",
                [root.position, inputPosition]
            )
        }
        // Shopify caps input lists at 250 elements; this message and code follow Shopify's behaviour for oversized
        // input arrays, not a capture.
        if rows.count > 250 {
            return topLevel(
                "The input array size of \(rows.count) is greater than the maximum allowed of 250.",
                "MAX_INPUT_SIZE_EXCEEDED",
                [root.position],
                path: [root.responseKey, "input", listName]
            )
        }
        // Captured: a 2026-04 inventory write without @idempotent is BAD_REQUEST with data.<root> null.
        guard let directive = root.directive("idempotent"),
            let key = directive.arguments.first(where: { $0.0 == "key" })?.1.resolve(projector.variables).stringValue
        else {
            return topLevel(
                "The @idempotent directive is required for this mutation but was not provided.",
                "BAD_REQUEST",
                [root.position]
            )
        }

        let parameters = SimJSON.obj([
            ("field", .string(root.name)),
            ("arguments", .object(arguments.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })),
        ]).canonicalText
        let payload: PayloadModel
        let outcome: SimulatorCallOutcome
        if let code = injectedUserError() {
            payload = PayloadModel(
                group: nil,
                userErrors: [UserErrorModel(field: nil, message: "Injected userError \(code).", code: code)]
            )
            outcome = .refused
        } else if let record = shop.idempotency[key] {
            if record.parameters == parameters {
                payload = record.payload
                outcome = .replayed
            } else {
                // Captured on locationDeactivate (location-activate-deactivate-lifecycle.json): a payload userError
                // with field null.
                payload = PayloadModel(
                    group: nil,
                    userErrors: [
                        UserErrorModel(
                            field: nil,
                            message: "The same idempotency key cannot be used with different operation parameters.",
                            code: "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
                        )
                    ]
                )
                outcome = .refused
            }
        } else {
            payload =
                root.name == "inventoryAdjustQuantities"
                ? shop.adjustQuantities(input, now: Date()) : shop.setQuantities(input, now: Date())
            shop.idempotency[key] = IdempotencyRecord(rootField: root.name, parameters: parameters, payload: payload)
            outcome = !payload.userErrors.isEmpty ? .refused : payload.group == nil ? .noop : .applied
        }
        let typeName = MiniSchema.types[MiniSchema.mutationRoot]?[root.name] ?? "InventoryAdjustQuantitiesPayload"
        let value = projector.render(
            .object(Self.payloadObject(payload, typeName: typeName, shop: shop)),
            root.selections ?? []
        )
        let codes = payload.userErrors.compactMap(\.code)
        return MutationResult(
            value: value,
            error: nil,
            cost: payload.group == nil ? 10 : 13,
            outcome: outcome,
            detail: codes.isEmpty ? (payload.userErrors.isEmpty ? nil : "userErrors") : codes.joined(separator: ",")
        )
    }

    private static func payloadObject(_ payload: PayloadModel, typeName: String, shop: ShopModel) -> ResolvedObject {
        let errorType = MiniSchema.types[typeName]?["userErrors"] ?? "UserError"
        return ResolvedObject(typeName: typeName) { field, _ in
            switch field.name {
            case "inventoryAdjustmentGroup":
                guard let group = payload.group else { return .null }
                return .object(Self.groupObject(group, shop: shop))
            case "userErrors":
                return userErrorList(payload.userErrors, typeName: errorType)
            default:
                return .null
            }
        }
    }

    /// A payload's `userErrors`, each a `typeName` object with field, message and code.
    static func userErrorList(_ errors: [UserErrorModel], typeName: String) -> Resolved {
        .list(
            errors.map { error in
                .object(
                    ResolvedObject(typeName: typeName) { field, _ in
                        switch field.name {
                        case "field": .leaf(error.field.map { .array($0.map(SimJSON.string)) } ?? .null)
                        case "message": .leaf(.string(error.message))
                        case "code": .leaf(error.code.map(SimJSON.string) ?? .null)
                        default: .null
                        }
                    }
                )
            }
        )
    }

    private static func groupObject(_ group: AdjustmentGroupModel, shop: ShopModel) -> ResolvedObject {
        ResolvedObject(typeName: "InventoryAdjustmentGroup") { field, _ in
            switch field.name {
            case "id": return .leaf(.string(group.id))
            case "createdAt": return .leaf(.string(group.createdAt))
            case "reason": return .leaf(.string(group.reason))
            case "referenceDocumentUri": return .leaf(group.referenceDocumentUri.map(SimJSON.string) ?? .null)
            case "changes":
                return .list(
                    group.changes.map { change in
                        .object(
                            ResolvedObject(typeName: "InventoryChange") { field, _ in
                                switch field.name {
                                case "name": .leaf(.string(change.name))
                                case "delta": .leaf(.int(change.delta))
                                case "quantityAfterChange": .null
                                case "ledgerDocumentUri": .leaf(change.ledgerDocumentUri.map(SimJSON.string) ?? .null)
                                case "item": .object(shop.itemObject(change.itemID))
                                case "location": .object(shop.locationObject(change.locationID))
                                default: .null
                                }
                            }
                        )
                    }
                )
            default: return .null
            }
        }
    }
}
