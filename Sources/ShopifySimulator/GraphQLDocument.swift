import GraphQL

/// A line and column in the request document, for `errors[].locations`.
struct SourcePosition: Sendable, Hashable {
    var line: Int
    var column: Int

    var json: SimJSON { .obj([("line", .int(line)), ("column", .int(column))]) }
}

/// An argument or input value as written in the document: literals, or references to variables.
indirect enum InputLiteral: Sendable {
    case variable(String)
    case scalar(SimJSON)
    case enumValue(String)
    case list([InputLiteral])
    case object([(String, InputLiteral)])

    /// The value with variables substituted; a variable that was not provided is left out of objects, null elsewhere.
    func resolve(_ variables: [String: SimJSON]) -> SimJSON {
        resolveOptional(variables) ?? .null
    }

    private func resolveOptional(_ variables: [String: SimJSON]) -> SimJSON? {
        switch self {
        case .variable(let name): variables[name]
        case .scalar(let value): value
        case .enumValue(let value): .string(value)
        case .list(let values): .array(values.map { $0.resolve(variables) })
        case .object(let members):
            .object(members.compactMap { key, value in value.resolveOptional(variables).map { (key, $0) } })
        }
    }
}

/// A directive on a field, such as `@idempotent(key: $key)`.
struct DirectiveNode: Sendable {
    var name: String
    var arguments: [(String, InputLiteral)]
    var position: SourcePosition?
}

/// One selected field.
struct FieldNode: Sendable {
    var alias: String?
    var name: String
    var arguments: [(String, InputLiteral)]
    var directives: [DirectiveNode]
    /// Nil for a leaf selection.
    var selections: [SelectionNode]?
    var position: SourcePosition?

    /// The key this field has in the response.
    var responseKey: String { alias ?? name }

    func argument(_ name: String) -> InputLiteral? {
        arguments.first { $0.0 == name }?.1
    }

    func directive(_ name: String) -> DirectiveNode? {
        directives.first { $0.name == name }
    }
}

/// A selection: a field, an inline fragment, or a named fragment.
indirect enum SelectionNode: Sendable {
    case field(FieldNode)
    case inlineFragment(typeCondition: String?, selections: [SelectionNode])
    case fragmentSpread(String)
}

/// A declared variable of the operation.
struct VariableDefinitionNode: Sendable {
    var name: String
    var typeText: String
    var isNonNull: Bool
    var defaultValue: SimJSON?
    var position: SourcePosition?
}

/// The operation the simulator interprets, taken from a parsed document.
struct OperationNode: Sendable {
    enum Kind: String, Sendable {
        case query, mutation, subscription
    }

    var kind: Kind
    var name: String?
    var variableDefinitions: [VariableDefinitionNode]
    var directives: [DirectiveNode]
    var selections: [SelectionNode]
    var fragments: [String: (typeCondition: String, selections: [SelectionNode])]
    var position: SourcePosition?

    /// The name used in error paths, for example `query Named` or just `mutation`.
    var pathName: String {
        if let name { return "\(kind.rawValue) \(name)" }
        return kind.rawValue
    }

    /// The root fields in document order (fragments at the root are flattened).
    var rootFields: [FieldNode] {
        Self.fields(in: selections, fragments: fragments)
    }

    static func fields(
        in selections: [SelectionNode],
        fragments: [String: (typeCondition: String, selections: [SelectionNode])]
    ) -> [FieldNode] {
        selections.flatMap { selection -> [FieldNode] in
            switch selection {
            case .field(let field): [field]
            case .inlineFragment(_, let inner): fields(in: inner, fragments: fragments)
            case .fragmentSpread(let name):
                fragments[name].map { fields(in: $0.selections, fragments: fragments) } ?? []
            }
        }
    }
}

/// Why a document could not be turned into an operation (parse stage, no cost).
struct DocumentError: Error, Sendable {
    var message: String
    var positions: [SourcePosition]
    var code: String?
}

enum DocumentReader {
    /// Parses `source` with GraphQLSwift and selects the operation named `operationName` (or the only one).
    static func operation(source: String, operationName: String?) throws(DocumentError) -> OperationNode {
        let document: Document
        do {
            document = try parse(source: source)
        } catch let error as GraphQLError {
            throw DocumentError(
                message: error.message,
                positions: error.locations.map { SourcePosition(line: $0.line, column: $0.column) },
                code: "PARSE_ERROR"
            )
        } catch {
            throw DocumentError(message: "\(error)", positions: [], code: "PARSE_ERROR")
        }
        var operations: [OperationDefinition] = []
        var fragments: [String: (typeCondition: String, selections: [SelectionNode])] = [:]
        for definition in document.definitions {
            if let operation = definition as? OperationDefinition {
                operations.append(operation)
            } else if let fragment = definition as? FragmentDefinition {
                fragments[fragment.name.value] = (
                    fragment.typeCondition.name.value, selections(fragment.selectionSet)
                )
            }
        }
        let chosen: OperationDefinition
        if let operationName, !operationName.isEmpty {
            guard let match = operations.first(where: { $0.name?.value == operationName }) else {
                throw DocumentError(message: "No operation named \"\(operationName)\"", positions: [], code: nil)
            }
            chosen = match
        } else {
            guard operations.count == 1, let only = operations.first else {
                if operations.isEmpty {
                    throw DocumentError(message: "No operations in query document", positions: [], code: nil)
                }
                throw DocumentError(message: "An operation name is required", positions: [], code: nil)
            }
            chosen = only
        }
        let kind: OperationNode.Kind =
            switch chosen.operation {
            case .query: .query
            case .mutation: .mutation
            case .subscription: .subscription
            }
        return OperationNode(
            kind: kind,
            name: chosen.name?.value,
            variableDefinitions: chosen.variableDefinitions.map { definition in
                VariableDefinitionNode(
                    name: definition.variable.name.value,
                    typeText: typeText(definition.type),
                    isNonNull: definition.type is NonNullType,
                    defaultValue: definition.defaultValue.map { literal($0).resolve([:]) },
                    position: position(definition.loc)
                )
            },
            directives: chosen.directives.map(directive),
            selections: selections(chosen.selectionSet),
            fragments: fragments,
            position: position(chosen.loc)
        )
    }

    private static func position(_ location: Location?) -> SourcePosition? {
        guard let location else { return nil }
        return SourcePosition(line: location.startToken.line, column: location.startToken.column)
    }

    private static func typeText(_ type: any GraphQL.`Type`) -> String {
        switch type {
        case let named as NamedType: named.name.value
        case let list as ListType: "[\(typeText(list.type))]"
        case let nonNull as NonNullType: typeText(nonNull.type) + "!"
        default: "\(type)"
        }
    }

    private static func selections(_ set: SelectionSet) -> [SelectionNode] {
        set.selections.compactMap { selection -> SelectionNode? in
            switch selection {
            case let field as Field:
                return .field(
                    FieldNode(
                        alias: field.alias?.value,
                        name: field.name.value,
                        arguments: field.arguments.map { ($0.name.value, literal($0.value)) },
                        directives: field.directives.map(directive),
                        selections: field.selectionSet.map(selections),
                        position: position(field.loc)
                    )
                )
            case let fragment as InlineFragment:
                return .inlineFragment(
                    typeCondition: fragment.typeCondition?.name.value,
                    selections: selections(fragment.selectionSet)
                )
            case let spread as FragmentSpread:
                return .fragmentSpread(spread.name.value)
            default:
                return nil
            }
        }
    }

    private static func directive(_ node: Directive) -> DirectiveNode {
        DirectiveNode(
            name: node.name.value,
            arguments: node.arguments.map { ($0.name.value, literal($0.value)) },
            position: position(node.loc)
        )
    }

    private static func literal(_ value: any Value) -> InputLiteral {
        switch value {
        case let variable as Variable: .variable(variable.name.value)
        case let int as IntValue: .scalar(Int(int.value).map(SimJSON.int) ?? .double(Double(int.value) ?? 0))
        case let float as FloatValue: .scalar(.double(Double(float.value) ?? 0))
        case let string as StringValue: .scalar(.string(string.value))
        case let bool as BooleanValue: .scalar(.bool(bool.value))
        case is NullValue: .scalar(.null)
        case let enumValue as EnumValue: .enumValue(enumValue.value)
        case let list as ListValue: .list(list.values.map(literal))
        case let object as ObjectValue: .object(object.fields.map { ($0.name.value, literal($0.value)) })
        default: .scalar(.null)
        }
    }
}
