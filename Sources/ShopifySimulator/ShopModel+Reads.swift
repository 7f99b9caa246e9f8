import Foundation

/// The objects queries reach, resolved on demand from the shop's current data.
extension ShopModel {
    /// Resolves one root field of a query.
    func resolveQueryRoot(_ field: FieldNode, _ arguments: [String: SimJSON]) -> Resolved {
        switch field.name {
        case "shop":
            return .object(shopObject())
        case "nodes":
            return .list((arguments["ids"]?.arrayValue ?? []).map { node($0.stringValue ?? "") })
        case "node", "inventoryItem", "inventoryLevel":
            let resolved = node(arguments["id"]?.stringValue ?? "")
            if field.name != "node", case .object(let object) = resolved,
                object.typeName != (field.name == "inventoryItem" ? "InventoryItem" : "InventoryLevel")
            {
                return .null
            }
            return resolved
        case "location":
            guard let id = arguments["id"]?.stringValue ?? locationOrder.first, locationNames[id] != nil else {
                return .null
            }
            return .object(locationObject(id))
        case "inventoryItems":
            let filter = ItemQuery(arguments["query"]?.stringValue ?? "")
            let matching: [String]
            if let sku = filter.exactSKU {
                matching = skuIndex[sku] ?? []  // one exact SKU: the index, not a scan of every item
            } else {
                matching = itemOrder.filter { id in items[id].map(filter.matches) ?? false }
            }
            return connection(
                ids: matching,
                arguments: arguments,
                typeName: "InventoryItemConnection",
                edgeTypeName: "InventoryItemEdge",
                object: { .object(itemObject($0)) }
            )
        case "locations":
            return connection(
                ids: locationOrder,
                arguments: arguments,
                typeName: "LocationConnection",
                edgeTypeName: "LocationEdge",
                object: { .object(locationObject($0)) }
            )
        default:
            return .null
        }
    }

    /// The requested cost of a query's root field: 1 for an object, 1 + ids for `nodes`, 2 + page size for a connection.
    func queryCost(_ field: FieldNode, _ arguments: [String: SimJSON]) -> Int {
        switch field.name {
        case "nodes": 1 + (arguments["ids"]?.arrayValue?.count ?? 0)
        case "inventoryItems", "locations": 2 + Self.pageSize(arguments)
        default: 1
        }
    }

    // MARK: - Objects

    func node(_ id: String) -> Resolved {
        if items[id] != nil { return .object(itemObject(id)) }
        if locationNames[id] != nil { return .object(locationObject(id)) }
        if let (itemID, locationID) = levelIDs(id), items[itemID]?.levels[locationID] != nil {
            return .object(levelObject(itemID: itemID, locationID: locationID))
        }
        return .null
    }

    func shopObject() -> ResolvedObject {
        let name = self.name
        return ResolvedObject(typeName: "Shop") { field, _ in
            switch field.name {
            case "id": .leaf(.string("gid://shopify/Shop/1"))
            case "name": .leaf(.string(name))
            case "myshopifyDomain": .leaf(.string("\(name).myshopify.com"))
            default: .null
            }
        }
    }

    func locationObject(_ id: String) -> ResolvedObject {
        let name = locationName(id)
        return ResolvedObject(typeName: "Location") { field, arguments in
            switch field.name {
            case "id": .leaf(.string(id))
            case "name": .leaf(.string(name))
            case "isActive": .leaf(.bool(true))
            case "legacyResourceId": .leaf(GID.number(id).map(SimJSON.string) ?? .null)
            case "inventoryLevels":
                // The items stocked here, in the order they were added.
                connection(
                    ids: itemOrder.filter { items[$0]?.levels[id] != nil },
                    arguments: arguments,
                    typeName: "InventoryLevelConnection",
                    edgeTypeName: "InventoryLevelEdge",
                    object: { .object(levelObject(itemID: $0, locationID: id)) }
                )
            default: .null
            }
        }
    }

    func itemObject(_ id: String) -> ResolvedObject {
        ResolvedObject(typeName: "InventoryItem") { field, arguments in
            guard let item = items[id] else { return .null }
            switch field.name {
            case "id": return .leaf(.string(id))
            case "sku": return .leaf(item.sku.map(SimJSON.string) ?? .null)
            case "tracked", "requiresShipping": return .leaf(.bool(true))
            case "legacyResourceId": return .leaf(GID.number(id).map(SimJSON.string) ?? .null)
            case "inventoryLevel":
                guard let locationID = arguments["locationId"]?.stringValue, item.levels[locationID] != nil else {
                    return .null
                }
                return .object(levelObject(itemID: id, locationID: locationID))
            case "inventoryLevels":
                return connection(
                    ids: locationOrder.filter { item.levels[$0] != nil },
                    arguments: arguments,
                    typeName: "InventoryLevelConnection",
                    edgeTypeName: "InventoryLevelEdge",
                    object: { .object(levelObject(itemID: id, locationID: $0)) }
                )
            default: return .null
            }
        }
    }

    /// `gid://shopify/InventoryLevel/<location number>?inventory_item_id=<item number>`, the captured format.
    func levelID(itemID: String, locationID: String) -> String {
        "gid://shopify/InventoryLevel/\(GID.number(locationID) ?? "0")?inventory_item_id=\(GID.number(itemID) ?? "0")"
    }

    private func levelIDs(_ id: String) -> (String, String)? {
        guard id.hasPrefix("gid://shopify/InventoryLevel/"), let query = id.split(separator: "?").last,
            let location = GID.number(String(id.split(separator: "?").first ?? "")),
            query.hasPrefix("inventory_item_id=")
        else { return nil }
        let item = query.dropFirst("inventory_item_id=".count)
        return ("gid://shopify/InventoryItem/\(item)", "gid://shopify/Location/\(location)")
    }

    func levelObject(itemID: String, locationID: String) -> ResolvedObject {
        let levelID = levelID(itemID: itemID, locationID: locationID)
        return ResolvedObject(typeName: "InventoryLevel") { field, arguments in
            guard let level = items[itemID]?.levels[locationID] else { return .null }
            switch field.name {
            case "id": return .leaf(.string(levelID))
            case "isActive": return .leaf(.bool(true))
            case "item": return .object(itemObject(itemID))
            case "location": return .object(locationObject(locationID))
            case "quantities":
                let names = (arguments["names"]?.arrayValue ?? []).compactMap(\.stringValue)
                return .list(
                    names.filter { QuantityName.all.contains($0) }.map { name in
                        .object(
                            ResolvedObject(typeName: "InventoryQuantity") { field, _ in
                                switch field.name {
                                case "id": .leaf(.string("\(levelID)&name=\(name)"))
                                case "name": .leaf(.string(name))
                                case "quantity": .leaf(.int(level[name]))
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

    // MARK: - Connections

    static func pageSize(_ arguments: [String: SimJSON]) -> Int {
        max(0, min(250, arguments["first"]?.intValue ?? arguments["last"]?.intValue ?? 50))
    }

    /// A forward-paginated connection (`first`, `after`) with nodes, edges and pageInfo.
    func connection(
        ids: [String],
        arguments: [String: SimJSON],
        typeName: String,
        edgeTypeName: String,
        object: @escaping (String) -> Resolved
    ) -> Resolved {
        var start = 0
        if !unpagedConnections, let after = arguments["after"]?.stringValue, let id = Self.decodeCursor(after),
            let index = ids.firstIndex(of: id)
        {
            start = index + 1
        }
        let size = unpagedConnections ? ids.count : Self.pageSize(arguments)
        let page = Array(ids[min(start, ids.count)..<min(ids.count, start + size)])
        let hasNext = start + page.count < ids.count
        let hasPrevious = start > 0
        return .object(
            ResolvedObject(typeName: typeName) { field, _ in
                switch field.name {
                case "nodes": return .list(page.map(object))
                case "edges":
                    return .list(
                        page.map { id in
                            .object(
                                ResolvedObject(typeName: edgeTypeName) { field, _ in
                                    switch field.name {
                                    case "cursor": .leaf(.string(Self.cursor(id)))
                                    case "node": object(id)
                                    default: .null
                                    }
                                }
                            )
                        }
                    )
                case "pageInfo":
                    return .object(
                        ResolvedObject(typeName: "PageInfo") { field, _ in
                            switch field.name {
                            case "hasNextPage": .leaf(.bool(hasNext))
                            case "hasPreviousPage": .leaf(.bool(hasPrevious))
                            case "startCursor": .leaf(page.first.map { .string(Self.cursor($0)) } ?? .null)
                            case "endCursor": .leaf(page.last.map { .string(Self.cursor($0)) } ?? .null)
                            default: .null
                            }
                        }
                    )
                default: return .null
                }
            }
        )
    }

    static func cursor(_ id: String) -> String { Data(id.utf8).base64EncodedString() }

    static func decodeCursor(_ cursor: String) -> String? {
        Data(base64Encoded: cursor).flatMap { String(data: $0, encoding: .utf8) }
    }
}

/// The subset of Shopify's search syntax `inventoryItems(query:)` understands here: `sku:` and `id:` terms, quoted
/// or bare, a trailing `*` for a prefix, implicit AND, and `OR` between groups. Other fields are ignored.
struct ItemQuery {
    struct Term {
        var field: String
        var value: String
        var prefix: Bool
    }

    /// Groups joined by OR; terms inside a group joined by AND.
    var groups: [[Term]]

    init(_ text: String) {
        var groups: [[Term]] = [[]]
        for token in Self.tokens(text) {
            if token.raw == "OR" {
                groups.append([])
                continue
            }
            if token.raw == "AND" { continue }
            guard let colon = token.raw.firstIndex(of: ":") else { continue }
            let field = String(token.raw[..<colon]).lowercased()
            var value = token.quotedValue ?? String(token.raw[token.raw.index(after: colon)...])
            var prefix = false
            if token.quotedValue == nil, value.hasSuffix("*") {
                value.removeLast()
                prefix = true
            }
            groups[groups.count - 1].append(Term(field: field, value: value, prefix: prefix))
        }
        self.groups = groups.filter { !$0.isEmpty }
    }

    /// The SKU when the whole query is one exact `sku:` term.
    var exactSKU: String? {
        guard groups.count == 1, groups[0].count == 1, groups[0][0].field == "sku", !groups[0][0].prefix else {
            return nil
        }
        return groups[0][0].value
    }

    func matches(_ item: ItemModel) -> Bool {
        if groups.isEmpty { return true }
        return groups.contains { group in
            group.allSatisfy { term in
                switch term.field {
                case "sku":
                    guard let sku = item.sku else { return false }
                    return term.prefix ? sku.hasPrefix(term.value) : sku == term.value
                case "id":
                    return GID.number(item.id) == term.value || item.id == term.value
                default:
                    return true
                }
            }
        }
    }

    private struct Token {
        var raw: String
        var quotedValue: String?
    }

    /// Splits on whitespace outside quotes; `field:'v a l'` keeps its quoted value apart (backslash escapes).
    private static func tokens(_ text: String) -> [Token] {
        var tokens: [Token] = []
        var raw = ""
        var quoted: String?
        var quote: Character?
        var escaping = false
        func flush() {
            if !raw.isEmpty || quoted != nil { tokens.append(Token(raw: raw, quotedValue: quoted)) }
            raw = ""
            quoted = nil
        }
        for character in text {
            if let open = quote {
                if escaping {
                    quoted!.append(character)
                    escaping = false
                } else if character == "\\" {
                    escaping = true
                } else if character == open {
                    quote = nil
                } else {
                    quoted!.append(character)
                }
                continue
            }
            if character == "'" || character == "\"" {
                quote = character
                quoted = quoted ?? ""
            } else if character.isWhitespace {
                flush()
            } else {
                raw.append(character)
            }
        }
        flush()
        return tokens
    }
}
