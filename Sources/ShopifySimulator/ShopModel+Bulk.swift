import Foundation

/// Bulk query operations: checking the inner query, reading its result as JSONL, and the operations' objects.
extension ShopModel {
    /// At most this many bulk query operations run at once per shop.
    ///
    /// Documented: "In API versions 2026-01 and higher apps can run up to five bulk query operations at a time
    /// per shop" (bulk operations guide). The simulator answers every API version alike.
    static let concurrentBulkQueries = 5

    /// Query operations not yet ended.
    var runningBulkQueries: Int { bulkOperations.filter(\.isRunning).count }

    /// Moves every operation's status on to `now`.
    mutating func advanceBulkOperations(now: ContinuousClock.Instant) {
        for index in bulkOperations.indices { bulkOperations[index].advance(now: now) }
    }

    /// `bulkOperation(id:)` and `currentBulkOperation(type:)`; nil for any other root field.
    ///
    /// An id of another shop's operation is null, as an app sees only its own operations on the shop it calls.
    func resolveBulkRoot(_ field: FieldNode, _ arguments: [String: SimJSON], baseURL: String) -> Resolved? {
        switch field.name {
        case "bulkOperation":
            let id = arguments["id"]?.stringValue ?? ""
            guard let operation = bulkOperations.first(where: { $0.id == id }) else { return .null }
            return .object(operation.object(baseURL: baseURL))
        case "currentBulkOperation":
            // Only query operations are modelled: the current MUTATION operation is always null.
            guard (arguments["type"]?.stringValue ?? "QUERY") == "QUERY", let operation = bulkOperations.last else {
                return .null
            }
            return .object(operation.object(baseURL: baseURL))
        default:
            return nil
        }
    }

    // MARK: - The inner query

    /// The operation of a bulk query document, or why Shopify would refuse it (userError INVALID).
    ///
    /// Documented (`bulkOperationRunQuery`, bulk operations guide): at least one connection, at most five, nested
    /// at most two deep, and the top-level `node` and `nodes` fields cannot be used. The messages are the
    /// simulator's own; none was captured.
    static func bulkQueryOperation(_ source: String) -> Result<OperationNode, BulkQueryProblem> {
        let operation: OperationNode
        do {
            operation = try DocumentReader.operation(source: source, operationName: nil)
        } catch {
            return .failure(BulkQueryProblem("Invalid bulk query: \(error.message)"))
        }
        guard operation.kind == .query else {
            return .failure(BulkQueryProblem("Invalid bulk query: the document must be a query."))
        }
        if let error = MiniSchema.validate(operation).first?["message"]?.stringValue {
            return .failure(BulkQueryProblem("Invalid bulk query: \(error)"))
        }
        if let variable = operation.variableDefinitions.first(where: { $0.isNonNull && $0.defaultValue == nil }) {
            return .failure(BulkQueryProblem("Invalid bulk query: variable $\(variable.name) has no value."))
        }
        if operation.rootFields.contains(where: { $0.name == "node" || $0.name == "nodes" }) {
            return .failure(BulkQueryProblem("Invalid bulk query: the top-level node and nodes fields can't be used."))
        }
        let projector = Projector(variables: [:], fragments: operation.fragments)
        var count = 0
        var depth = 0
        countConnections(operation.selections, on: MiniSchema.queryRoot, projector, level: 0, &count, &depth)
        if count == 0 {
            return .failure(BulkQueryProblem("Bulk queries must contain at least one connection."))
        }
        if count > 5 {
            return .failure(BulkQueryProblem("Bulk queries cannot contain more than 5 connections."))
        }
        if depth > 2 {
            return .failure(BulkQueryProblem("Bulk queries cannot contain connections nested more than 2 levels."))
        }
        return .success(operation)
    }

    private static func countConnections(
        _ selections: [SelectionNode],
        on typeName: String,
        _ projector: Projector,
        level: Int,
        _ count: inout Int,
        _ depth: inout Int
    ) {
        for field in projector.fields(selections, typeName: typeName) {
            guard let type = MiniSchema.types[typeName]?[field.name], let inner = field.selections else { continue }
            var next = level
            if MiniSchema.isConnection(type) {
                count += 1
                next += 1
                depth = max(depth, next)
            }
            countConnections(inner, on: type, projector, level: next, &count, &depth)
        }
    }

    // MARK: - The result

    /// Runs a checked bulk query over this shop's data now and writes its JSONL.
    ///
    /// As Shopify documents it: one line per node of every connection, the `edges`/`node`/`nodes` wrappers
    /// and `pageInfo` gone; a node of a nested connection carries `__parentId`, the id of the node whose
    /// connection it is in, as its last key; pagination arguments are ignored (every node is read). Modelling
    /// choices: lines come depth first, each node followed by its children (which satisfies both
    /// `groupObjects` settings); `/` is written `\/`, as Shopify's files have it.
    func bulkResult(_ operation: OperationNode) -> BulkResult {
        var reader = self
        reader.unpagedConnections = true
        var writer = BulkJSONLWriter(projector: Projector(variables: [:], fragments: operation.fragments))
        for root in operation.rootFields {
            guard let type = MiniSchema.types[MiniSchema.queryRoot]?[root.name] else { continue }
            let value = reader.resolveQueryRoot(root, writer.projector.arguments(of: root))
            if MiniSchema.isConnection(type) {
                writer.connection(value, selections: root.selections ?? [], parentID: nil)
            }
        }
        return BulkResult(
            jsonl: writer.bytes,
            objectCount: writer.objectCount,
            rootObjectCount: writer.rootObjectCount
        )
    }
}

/// Why a bulk query document is refused.
struct BulkQueryProblem: Error {
    var message: String

    init(_ message: String) {
        self.message = message
    }
}

/// Writes the JSONL lines of a bulk query's connections.
private struct BulkJSONLWriter {
    let projector: Projector
    var bytes: [UInt8] = []
    var objectCount = 0
    var rootObjectCount = 0

    /// A connection left for after the line of the node it belongs to.
    private struct Pending {
        var value: Resolved
        var selections: [SelectionNode]
    }

    init(projector: Projector) {
        self.projector = projector
    }

    /// Writes every node of a connection, each followed by the nodes of its own connections.
    mutating func connection(_ value: Resolved, selections: [SelectionNode], parentID: String?) {
        guard case .object(let connection) = value else { return }
        var nodeSelections: [SelectionNode] = []
        for field in projector.fields(selections, typeName: connection.typeName) {
            switch field.name {
            case "nodes":
                nodeSelections += field.selections ?? []
            case "edges":
                let edgeType = MiniSchema.types[connection.typeName]?["edges"] ?? ""
                for inner in projector.fields(field.selections ?? [], typeName: edgeType) where inner.name == "node" {
                    nodeSelections += inner.selections ?? []
                }
            default:
                break  // pageInfo, cursors: flattened away
            }
        }
        guard case .list(let nodes) = connection.resolve(Self.bareField("nodes"), [:]) else { return }
        for node in nodes {
            guard case .object(let object) = node else { continue }
            var pending: [Pending] = []
            var members = project(nodeSelections, on: object, pending: &pending)
            if let parentID { members.append(("__parentId", .string(parentID))) }
            let line = SimJSON.object(members).text.replacing("/", with: "\\/")
            bytes.append(contentsOf: line.utf8)
            bytes.append(UInt8(ascii: "\n"))
            objectCount += 1
            if parentID == nil { rootObjectCount += 1 }
            guard !pending.isEmpty else { continue }
            let id = object.resolve(Self.bareField("id"), [:])
            guard case .leaf(.string(let nodeID)) = id else { continue }
            for child in pending { self.connection(child.value, selections: child.selections, parentID: nodeID) }
        }
    }

    /// A node's selected fields, with its connections (at any depth of plain objects) set aside in `pending`.
    private func project(
        _ selections: [SelectionNode],
        on object: ResolvedObject,
        pending: inout [Pending]
    ) -> [(String, SimJSON)] {
        var members: [(String, SimJSON)] = []
        var seen: Set<String> = []
        for field in projector.fields(selections, typeName: object.typeName) {
            guard seen.insert(field.responseKey).inserted else { continue }
            if field.name == "__typename" {
                members.append((field.responseKey, .string(object.typeName)))
                continue
            }
            let value = object.resolve(field, projector.arguments(of: field))
            if let type = MiniSchema.types[object.typeName]?[field.name], MiniSchema.isConnection(type) {
                pending.append(Pending(value: value, selections: field.selections ?? []))
                continue
            }
            members.append((field.responseKey, render(value, field.selections ?? [], pending: &pending)))
        }
        return members
    }

    private func render(_ value: Resolved, _ selections: [SelectionNode], pending: inout [Pending]) -> SimJSON {
        switch value {
        case .leaf(let json): json
        case .object(let object): .object(project(selections, on: object, pending: &pending))
        case .list(let values): .array(values.map { render($0, selections, pending: &pending) })
        }
    }

    private static func bareField(_ name: String) -> FieldNode {
        FieldNode(alias: nil, name: name, arguments: [], directives: [], selections: nil, position: nil)
    }
}
