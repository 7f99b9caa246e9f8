/// Strict decoding of request files: every rule of the contract's section 3, each refusal naming the field.
public struct RequestDecoder: Sendable {
    /// The largest number of lines in a movement.
    public static let maxMovementLines = 10_000
    /// The largest number of items in a bulk sync.
    public static let maxBulkItems = 2_000_000
    /// The largest absolute delta and the largest on-hand quantity.
    public static let maxQuantity = 1_000_000_000

    /// A decoded request with the unknown fields it carried (ignored, reported as warnings).
    public struct Decoded: Sendable, Hashable {
        public var request: Request
        public var warnings: [String]
    }

    public init() {}

    public func decode(_ bytes: [UInt8]) throws(RequestError) -> Decoded {
        let json = try JSONValue.parse(bytes)
        var reader = try ObjectReader(json, path: nil)
        let kind = try reader.requiredString("kind")
        let request: Request
        switch kind {
        case "movement": request = .movement(try decodeMovement(&reader))
        case "bulk_sync": request = .bulkSync(try decodeBulkSync(&reader))
        default:
            throw RequestError(.unknownKind, field: "kind", "expected \"movement\" or \"bulk_sync\", got \"\(kind)\"")
        }
        reader.finish()
        return Decoded(request: request, warnings: reader.warnings)
    }

    // MARK: - Movement

    private func decodeMovement(_ reader: inout ObjectReader) throws(RequestError) -> Movement {
        let id = try decodeID(&reader)
        let typeName = try reader.requiredString("movement_type")
        guard let type = MovementType(rawValue: typeName) else {
            let allowed = MovementType.allCases.map(\.rawValue).joined(separator: ", ")
            throw RequestError(.invalidValue, field: "movement_type", "expected one of \(allowed), got \"\(typeName)\"")
        }
        let occurredAt = try reader.optionalString("occurred_at")
        if let occurredAt, !RFC3339.isValid(occurredAt) {
            throw RequestError(.invalidValue, field: "occurred_at", "expected an RFC 3339 time, got \"\(occurredAt)\"")
        }
        let reference = try reader.optionalString("reference")
        if let reference, reference.count > 255 {
            throw RequestError(
                .outOfRange,
                field: "reference",
                "expected at most 255 characters, got \(reference.count)"
            )
        }
        var order: Movement.Order?
        if var orderReader = try reader.optionalObject("order") {
            let store = try orderReader.requiredString("store", nonEmpty: true)
            let orderID = try orderReader.requiredString("id", nonEmpty: true)
            orderReader.finish()
            reader.warnings += orderReader.warnings
            order = Movement.Order(store: store, id: orderID)
        }
        let lineValues = try reader.requiredArray("lines")
        guard !lineValues.isEmpty else {
            throw RequestError(.outOfRange, field: "lines", "expected 1 to \(Self.maxMovementLines) lines, got none")
        }
        guard lineValues.count <= Self.maxMovementLines else {
            throw RequestError(
                .outOfRange,
                field: "lines",
                "expected at most \(Self.maxMovementLines) lines, got \(lineValues.count)"
            )
        }
        var lines: [Movement.Line] = []
        lines.reserveCapacity(lineValues.count)
        for (index, value) in lineValues.enumerated() {
            var line = try ObjectReader(value, path: "lines[\(index)]")
            let sku = try decodeSKU(&line)
            let location = try line.optionalString("location", nonEmpty: true)
            let delta = try line.requiredInteger("delta")
            guard delta != 0 else {
                throw RequestError(.invalidValue, field: line.path("delta"), "expected a nonzero delta, got 0")
            }
            guard delta.magnitude <= Self.maxQuantity else {
                throw RequestError(
                    .outOfRange,
                    field: line.path("delta"),
                    "expected an absolute value of at most 1,000,000,000, got \(delta)"
                )
            }
            line.finish()
            reader.warnings += line.warnings
            lines.append(Movement.Line(sku: sku, location: location, delta: delta))
        }
        return Movement(
            id: id,
            type: type,
            occurredAt: occurredAt,
            reference: reference,
            order: order,
            lines: lines
        )
    }

    // MARK: - Bulk sync

    private func decodeBulkSync(_ reader: inout ObjectReader) throws(RequestError) -> BulkSync {
        let id = try decodeID(&reader)
        let store = try reader.optionalString("store", nonEmpty: true)
        let scopeName = try reader.requiredString("scope")
        guard let scope = BulkSync.Scope(rawValue: scopeName) else {
            throw RequestError(.invalidValue, field: "scope", "expected \"selected\" or \"all\", got \"\(scopeName)\"")
        }
        let force = try reader.optionalBool("force") ?? false
        let asOf = try reader.optionalString("as_of")
        if let asOf, !RFC3339.isValid(asOf) {
            throw RequestError(.invalidValue, field: "as_of", "expected an RFC 3339 time, got \"\(asOf)\"")
        }
        let itemValues = try reader.requiredArray("items")
        if scope == .selected && itemValues.isEmpty {
            throw RequestError(.outOfRange, field: "items", "a selected bulk sync needs at least one item")
        }
        guard itemValues.count <= Self.maxBulkItems else {
            throw RequestError(
                .outOfRange,
                field: "items",
                "expected at most \(Self.maxBulkItems) items, got \(itemValues.count)"
            )
        }
        var items: [BulkSync.Item] = []
        items.reserveCapacity(itemValues.count)
        for (index, value) in itemValues.enumerated() {
            var item = try ObjectReader(value, path: "items[\(index)]")
            let sku = try decodeSKU(&item)
            let location = try item.optionalString("location", nonEmpty: true)
            let onHand = try item.requiredInteger("on_hand")
            guard (0...Self.maxQuantity).contains(onHand) else {
                throw RequestError(
                    .outOfRange,
                    field: item.path("on_hand"),
                    "expected an integer from 0 to 1,000,000,000, got \(onHand)"
                )
            }
            item.finish()
            reader.warnings += item.warnings
            items.append(BulkSync.Item(sku: sku, location: location, onHand: onHand))
        }
        return BulkSync(id: id, store: store, scope: scope, force: force, asOf: asOf, items: items)
    }

    // MARK: - Shared fields

    private func decodeID(_ reader: inout ObjectReader) throws(RequestError) -> String {
        let id = try reader.requiredString("id")
        guard (1...128).contains(id.utf8.count) else {
            throw RequestError(.outOfRange, field: "id", "expected 1 to 128 characters, got \(id.utf8.count)")
        }
        guard id.utf8.allSatisfy(Self.isIDByte) else {
            throw RequestError(
                .invalidValue,
                field: "id",
                "expected only letters, digits and . _ : / -, got \"\(id.prefix(140))\""
            )
        }
        return id
    }

    private func decodeSKU(_ reader: inout ObjectReader) throws(RequestError) -> String {
        let sku = try reader.requiredString("sku", nonEmpty: true)
        guard sku.count <= 255 else {
            throw RequestError(.outOfRange, field: reader.path("sku"), "expected at most 255 characters")
        }
        return sku
    }

    private static func isIDByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
