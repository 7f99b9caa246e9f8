/// A value an object's field resolves to, before the selection shapes it.
indirect enum Resolved {
    case leaf(SimJSON)
    case object(ResolvedObject)
    case list([Resolved])

    static var null: Resolved { .leaf(.null) }
}

/// An object of some schema type, answering its fields on demand.
struct ResolvedObject {
    var typeName: String
    var resolve: (_ field: FieldNode, _ arguments: [String: SimJSON]) -> Resolved
}

/// Shapes resolved objects by a selection set, so a response holds exactly the fields selected, in order.
struct Projector {
    var variables: [String: SimJSON]
    var fragments: [String: (typeCondition: String, selections: [SelectionNode])]

    func arguments(of field: FieldNode) -> [String: SimJSON] {
        var result: [String: SimJSON] = [:]
        for (name, literal) in field.arguments { result[name] = literal.resolve(variables) }
        return result
    }

    func project(_ selections: [SelectionNode], on object: ResolvedObject) -> SimJSON {
        var members: [(String, SimJSON)] = []
        var seen: Set<String> = []
        for field in fields(selections, typeName: object.typeName) {
            guard seen.insert(field.responseKey).inserted else { continue }
            if field.name == "__typename" {
                members.append((field.responseKey, .string(object.typeName)))
                continue
            }
            let value = object.resolve(field, arguments(of: field))
            members.append((field.responseKey, render(value, field.selections ?? [])))
        }
        return .object(members)
    }

    func render(_ value: Resolved, _ selections: [SelectionNode]) -> SimJSON {
        switch value {
        case .leaf(let json): json
        case .object(let object): project(selections, on: object)
        case .list(let values): .array(values.map { render($0, selections) })
        }
    }

    /// The fields of a selection set that apply to an object of `typeName`, fragments expanded.
    func fields(_ selections: [SelectionNode], typeName: String) -> [FieldNode] {
        selections.flatMap { selection -> [FieldNode] in
            switch selection {
            case .field(let field): return [field]
            case .inlineFragment(let condition, let inner):
                return MiniSchema.fragment(condition, applies: typeName) ? fields(inner, typeName: typeName) : []
            case .fragmentSpread(let name):
                guard let fragment = fragments[name], MiniSchema.fragment(fragment.typeCondition, applies: typeName)
                else { return [] }
                return fields(fragment.selections, typeName: typeName)
            }
        }
    }

    /// Whether a selection set (at any depth through fragments) selects a field called `name`.
    func selects(_ name: String, in selections: [SelectionNode]?) -> Bool {
        guard let selections else { return false }
        return OperationNode.fields(in: selections, fragments: fragments).contains { $0.name == name }
    }
}
