import Testing

@testable import ShopifySyncCore

/// A request file that must be refused, with the reason and field the refusal must name.
struct BadRequest: Sendable, CustomTestStringConvertible {
    var label: String
    var bytes: [UInt8]
    var reason: RequestError.Reason
    var field: String?

    init(_ label: String, _ text: String, _ reason: RequestError.Reason, _ field: String?) {
        self.label = label
        self.bytes = Array(text.utf8)
        self.reason = reason
        self.field = field
    }

    init(_ label: String, bytes: [UInt8], _ reason: RequestError.Reason, _ field: String?) {
        self.label = label
        self.bytes = bytes
        self.reason = reason
        self.field = field
    }

    var testDescription: String { label }
}

/// JSON text builders for request files, each valid unless a caller overrides a field.
enum RequestJSON {
    static let line = #"{"sku": "TEE-RED-M", "location": "WH1", "delta": -2}"#
    static let item = #"{"sku": "TEE-RED-M", "location": "WH1", "on_hand": 12}"#

    /// A movement with `fields` replacing or adding to the valid defaults (a nil value removes the field).
    static func movement(_ overrides: [(String, String?)] = []) -> String {
        object(
            [
                ("kind", #""movement""#),
                ("id", #""rcpt-000123""#),
                ("movement_type", #""receipt""#),
                ("lines", "[\(line)]"),
            ],
            overrides
        )
    }

    /// A bulk sync with `fields` replacing or adding to the valid defaults (a nil value removes the field).
    static func bulk(_ overrides: [(String, String?)] = []) -> String {
        object(
            [
                ("kind", #""bulk_sync""#),
                ("id", #""bulk-2026-11-28-01""#),
                ("scope", #""selected""#),
                ("items", "[\(item)]"),
            ],
            overrides
        )
    }

    /// A movement whose only line is `line`.
    static func movement(line: String) -> String { movement([("lines", "[\(line)]")]) }

    /// A bulk sync whose only item is `item`.
    static func bulk(item: String) -> String { bulk([("items", "[\(item)]")]) }

    static func quoted(_ text: String) -> String { "\"\(text)\"" }

    /// `text` in UTF-16, without a byte order mark.
    static func utf16(_ text: String, bigEndian: Bool) -> [UInt8] {
        text.utf16.flatMap { unit in
            let bytes = [UInt8(truncatingIfNeeded: unit), UInt8(truncatingIfNeeded: unit >> 8)]
            return bigEndian ? bytes.reversed() : bytes
        }
    }

    private static func object(_ defaults: [(String, String)], _ overrides: [(String, String?)]) -> String {
        var fields: [(String, String?)] = defaults.map { ($0.0, $0.1) }
        for (key, value) in overrides {
            if let index = fields.firstIndex(where: { $0.0 == key }) {
                fields[index].1 = value
            } else {
                fields.append((key, value))
            }
        }
        let body = fields.compactMap { key, value in value.map { "\"\(key)\": \($0)" } }
        return "{" + body.joined(separator: ", ") + "}"
    }
}

@Suite("RequestDecoder: strict decoding of request files")
struct RequestDecoderTests {
    static let badRequests: [BadRequest] = {
        typealias J = RequestJSON
        let manyLines = "[" + Array(repeating: J.line, count: 10_001).joined(separator: ",") + "]"
        return [
            // The file as a whole.
            BadRequest("empty file", "", .malformedJSON, nil),
            BadRequest("malformed JSON", #"{"kind": "movement", "id": }"#, .malformedJSON, nil),
            BadRequest("truncated", String(J.movement().dropLast(3)), .malformedJSON, nil),
            BadRequest("trailing garbage", J.movement() + " }", .malformedJSON, nil),
            BadRequest(
                "not UTF-8",
                bytes: Array(#"{"kind": "movement", "id": ""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8),
                .malformedJSON,
                nil
            ),
            BadRequest(
                "nested 100,000 deep",
                String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000),
                .malformedJSON,
                nil
            ),
            BadRequest("whitespace only", " \n\t ", .malformedJSON, nil),
            BadRequest(
                "UTF-8 byte order mark",
                bytes: [0xEF, 0xBB, 0xBF] + Array(J.movement().utf8),
                .malformedJSON,
                nil
            ),
            BadRequest(
                "UTF-16LE with its mark",
                bytes: [0xFF, 0xFE] + J.utf16(J.movement(), bigEndian: false),
                .malformedJSON,
                nil
            ),
            BadRequest("UTF-16LE without a mark", bytes: J.utf16(J.movement(), bigEndian: false), .malformedJSON, nil),
            BadRequest("UTF-16BE without a mark", bytes: J.utf16(J.movement(), bigEndian: true), .malformedJSON, nil),
            BadRequest("NUL byte after the value", bytes: Array(J.movement().utf8) + [0], .malformedJSON, nil),
            BadRequest(
                "NUL byte inside a string",
                J.movement([("reference", "\"PO\u{0}4711\"")]),
                .malformedJSON,
                nil
            ),
            BadRequest("duplicate key", String(J.movement().dropLast()) + #", "id": "other"}"#, .malformedJSON, "id"),
            BadRequest(
                "duplicate key in a line",
                J.movement(line: #"{"sku": "A", "delta": 1, "delta": -1000}"#),
                .malformedJSON,
                "lines[0].delta"
            ),
            BadRequest("trailing comma in an object", String(J.movement().dropLast()) + ",}", .malformedJSON, nil),
            BadRequest("trailing comma in an array", J.movement([("lines", "[\(J.line),]")]), .malformedJSON, nil),
            BadRequest("a comment", J.movement([("id", #""a" /* b */"#)]), .malformedJSON, nil),
            BadRequest("single quotes", J.movement([("id", "'a'")]), .malformedJSON, nil),
            BadRequest("lone surrogate", J.movement([("reference", #""\ud800""#)]), .malformedJSON, nil),
            BadRequest("leading zero", J.movement(line: #"{"sku": "A", "delta": 01}"#), .malformedJSON, nil),
            BadRequest("two values", J.movement() + J.movement(), .malformedJSON, nil),
            BadRequest(
                "nested 65 deep in an extra field",
                J.movement([("extra", String(repeating: "[", count: 64) + String(repeating: "]", count: 64))]),
                .malformedJSON,
                nil
            ),
            BadRequest("delta NaN", J.movement(line: #"{"sku": "A", "delta": NaN}"#), .malformedJSON, nil),
            BadRequest("delta Infinity", J.movement(line: #"{"sku": "A", "delta": Infinity}"#), .malformedJSON, nil),
            BadRequest("delta -Infinity", J.movement(line: #"{"sku": "A", "delta": -Infinity}"#), .malformedJSON, nil),
            BadRequest("top level array", "[\(J.movement())]", .notAnObject, nil),
            BadRequest("top level string", #""movement""#, .notAnObject, nil),
            BadRequest("top level number", "42", .notAnObject, nil),
            BadRequest("top level null", "null", .notAnObject, nil),
            // kind
            BadRequest("missing kind", J.movement([("kind", nil)]), .missingField, "kind"),
            BadRequest("null kind", J.movement([("kind", "null")]), .missingField, "kind"),
            BadRequest("unknown kind", J.movement([("kind", J.quoted("transfer_order"))]), .unknownKind, "kind"),
            BadRequest("kind wrong type", J.movement([("kind", "1")]), .wrongType, "kind"),
            // id
            BadRequest("missing id", J.movement([("id", nil)]), .missingField, "id"),
            BadRequest("id empty", J.movement([("id", #""""#)]), .outOfRange, "id"),
            BadRequest(
                "id 129 characters",
                J.movement([("id", J.quoted(String(repeating: "a", count: 129)))]),
                .outOfRange,
                "id"
            ),
            BadRequest("id with a space", J.movement([("id", J.quoted("rcpt 1"))]), .invalidValue, "id"),
            BadRequest("id with #", J.movement([("id", J.quoted("rcpt#1"))]), .invalidValue, "id"),
            BadRequest("id with non-ASCII", J.movement([("id", J.quoted("rcpt-é"))]), .invalidValue, "id"),
            BadRequest("id number", J.movement([("id", "123")]), .wrongType, "id"),
            // movement_type
            BadRequest("movement_type missing", J.movement([("movement_type", nil)]), .missingField, "movement_type"),
            BadRequest(
                "movement_type unknown",
                J.movement([("movement_type", J.quoted("theft"))]),
                .invalidValue,
                "movement_type"
            ),
            BadRequest(
                "movement_type wrong case",
                J.movement([("movement_type", J.quoted("Receipt"))]),
                .invalidValue,
                "movement_type"
            ),
            BadRequest("movement_type wrong type", J.movement([("movement_type", "[]")]), .wrongType, "movement_type"),
            // as_of
            BadRequest("as_of not a time", J.bulk([("as_of", J.quoted("yesterday"))]), .invalidValue, "as_of"),
            BadRequest(
                "as_of without offset",
                J.bulk([("as_of", J.quoted("2026-11-28T09:30:00"))]),
                .invalidValue,
                "as_of"
            ),
            BadRequest("as_of number", J.bulk([("as_of", "1764583200")]), .wrongType, "as_of"),
            // occurred_at, reference
            BadRequest(
                "occurred_at not a time",
                J.movement([("occurred_at", J.quoted("yesterday"))]),
                .invalidValue,
                "occurred_at"
            ),
            BadRequest(
                "occurred_at without offset",
                J.movement([("occurred_at", J.quoted("2026-11-28T09:30:00"))]),
                .invalidValue,
                "occurred_at"
            ),
            BadRequest(
                "occurred_at date only",
                J.movement([("occurred_at", J.quoted("2026-11-28"))]),
                .invalidValue,
                "occurred_at"
            ),
            BadRequest(
                "occurred_at month 13",
                J.movement([("occurred_at", J.quoted("2026-13-28T09:30:00Z"))]),
                .invalidValue,
                "occurred_at"
            ),
            BadRequest(
                "occurred_at number",
                J.movement([("occurred_at", "1764322200")]),
                .wrongType,
                "occurred_at"
            ),
            BadRequest(
                "reference 256 characters",
                J.movement([("reference", J.quoted(String(repeating: "R", count: 256)))]),
                .outOfRange,
                "reference"
            ),
            // control characters, escaped so that the JSON is valid, in every string field
            BadRequest("id with an escaped NUL", J.movement([("id", #""a\u0000b""#)]), .invalidValue, "id"),
            BadRequest(
                "reference with an escaped NUL",
                J.movement([("reference", #""PO\u00004711""#)]),
                .invalidValue,
                "reference"
            ),
            BadRequest(
                "reference with a newline",
                J.movement([("reference", #""PO\n4711""#)]),
                .invalidValue,
                "reference"
            ),
            BadRequest(
                "sku with an escaped NUL",
                J.movement(line: #"{"sku": "TEE\u0000", "delta": 1}"#),
                .invalidValue,
                "lines[0].sku"
            ),
            BadRequest(
                "location with DEL",
                J.movement(line: #"{"sku": "A", "location": "WH\u007f1", "delta": 1}"#),
                .invalidValue,
                "lines[0].location"
            ),
            BadRequest(
                "order id with a tab",
                J.movement([("order", #"{"store": "main", "id": "10\t01"}"#)]),
                .invalidValue,
                "order.id"
            ),
            BadRequest("bulk: store with a C1 control", J.bulk([("store", #""main\u0085""#)]), .invalidValue, "store"),
            // order
            BadRequest("order not an object", J.movement([("order", J.quoted("1001"))]), .notAnObject, "order"),
            BadRequest(
                "order missing store",
                J.movement([("order", #"{"id": "1001"}"#)]),
                .missingField,
                "order.store"
            ),
            BadRequest(
                "order store empty",
                J.movement([("order", #"{"store": "", "id": "1001"}"#)]),
                .invalidValue,
                "order.store"
            ),
            BadRequest("order missing id", J.movement([("order", #"{"store": "main"}"#)]), .missingField, "order.id"),
            // lines
            BadRequest("lines missing", J.movement([("lines", nil)]), .missingField, "lines"),
            BadRequest("lines not an array", J.movement([("lines", J.line)]), .wrongType, "lines"),
            BadRequest("lines empty", J.movement([("lines", "[]")]), .outOfRange, "lines"),
            BadRequest("10,001 lines", J.movement([("lines", manyLines)]), .outOfRange, "lines"),
            BadRequest("line not an object", J.movement([("lines", #"["TEE-RED-M"]"#)]), .notAnObject, "lines[0]"),
            BadRequest("sku missing", J.movement(line: #"{"delta": 1}"#), .missingField, "lines[0].sku"),
            BadRequest("sku empty", J.movement(line: #"{"sku": "", "delta": 1}"#), .invalidValue, "lines[0].sku"),
            BadRequest(
                "sku 256 characters",
                J.movement(line: #"{"sku": "\#(String(repeating: "S", count: 256))", "delta": 1}"#),
                .outOfRange,
                "lines[0].sku"
            ),
            BadRequest("sku number", J.movement(line: #"{"sku": 42, "delta": 1}"#), .wrongType, "lines[0].sku"),
            BadRequest(
                "location wrong type",
                J.movement(line: #"{"sku": "A", "location": 1, "delta": 1}"#),
                .wrongType,
                "lines[0].location"
            ),
            BadRequest(
                "location empty",
                J.movement(line: #"{"sku": "A", "location": "", "delta": 1}"#),
                .invalidValue,
                "lines[0].location"
            ),
            BadRequest("delta missing", J.movement(line: #"{"sku": "A"}"#), .missingField, "lines[0].delta"),
            BadRequest("delta string", J.movement(line: #"{"sku": "A", "delta": "2"}"#), .wrongType, "lines[0].delta"),
            BadRequest(
                "delta boolean",
                J.movement(line: #"{"sku": "A", "delta": true}"#),
                .wrongType,
                "lines[0].delta"
            ),
            BadRequest(
                "delta float 1.5",
                J.movement(line: #"{"sku": "A", "delta": 1.5}"#),
                .wrongType,
                "lines[0].delta"
            ),
            BadRequest("delta zero", J.movement(line: #"{"sku": "A", "delta": 0}"#), .invalidValue, "lines[0].delta"),
            BadRequest(
                "delta 1,000,000,001",
                J.movement(line: #"{"sku": "A", "delta": 1000000001}"#),
                .outOfRange,
                "lines[0].delta"
            ),
            BadRequest(
                "delta -1,000,000,001",
                J.movement(line: #"{"sku": "A", "delta": -1000000001}"#),
                .outOfRange,
                "lines[0].delta"
            ),
            BadRequest("delta 1.0", J.movement(line: #"{"sku": "A", "delta": 1.0}"#), .wrongType, "lines[0].delta"),
            BadRequest("delta 1e2", J.movement(line: #"{"sku": "A", "delta": 1e2}"#), .wrongType, "lines[0].delta"),
            BadRequest("delta -0.0", J.movement(line: #"{"sku": "A", "delta": -0.0}"#), .wrongType, "lines[0].delta"),
            BadRequest(
                "delta 1e-400",
                J.movement(line: #"{"sku": "A", "delta": 1e-400}"#),
                .wrongType,
                "lines[0].delta"
            ),
            BadRequest("delta -0", J.movement(line: #"{"sku": "A", "delta": -0}"#), .invalidValue, "lines[0].delta"),
            BadRequest(
                "delta 1e400",
                J.movement(line: #"{"sku": "A", "delta": 1e400}"#),
                .outOfRange,
                "lines[0].delta"
            ),
            BadRequest("delta 1e20", J.movement(line: #"{"sku": "A", "delta": 1e20}"#), .outOfRange, "lines[0].delta"),
            BadRequest(
                "delta beyond 64 bits",
                J.movement(line: #"{"sku": "A", "delta": 9223372036854775808}"#),
                .outOfRange,
                "lines[0].delta"
            ),
            BadRequest(
                "bad delta on the third line",
                J.movement([("lines", "[\(J.line), \(J.line), {\"sku\": \"B\", \"delta\": 0}]")]),
                .invalidValue,
                "lines[2].delta"
            ),
            // bulk_sync
            BadRequest("bulk: missing id", J.bulk([("id", nil)]), .missingField, "id"),
            BadRequest("bulk: scope missing", J.bulk([("scope", nil)]), .missingField, "scope"),
            BadRequest("bulk: scope unknown", J.bulk([("scope", J.quoted("some"))]), .invalidValue, "scope"),
            BadRequest("bulk: force not a boolean", J.bulk([("force", J.quoted("true"))]), .wrongType, "force"),
            BadRequest("bulk: items missing", J.bulk([("items", nil)]), .missingField, "items"),
            BadRequest("bulk: items not an array", J.bulk([("items", J.item)]), .wrongType, "items"),
            BadRequest("bulk: selected with no items", J.bulk([("items", "[]")]), .outOfRange, "items"),
            BadRequest("bulk: item not an object", J.bulk([("items", "[12]")]), .notAnObject, "items[0]"),
            BadRequest("bulk: store wrong type", J.bulk([("store", "1")]), .wrongType, "store"),
            BadRequest("bulk: store empty", J.bulk([("store", #""""#)]), .invalidValue, "store"),
            BadRequest("bulk: sku missing", J.bulk(item: #"{"on_hand": 1}"#), .missingField, "items[0].sku"),
            BadRequest("bulk: on_hand missing", J.bulk(item: #"{"sku": "A"}"#), .missingField, "items[0].on_hand"),
            BadRequest(
                "bulk: on_hand negative",
                J.bulk(item: #"{"sku": "A", "on_hand": -1}"#),
                .outOfRange,
                "items[0].on_hand"
            ),
            BadRequest(
                "bulk: on_hand 1,000,000,001",
                J.bulk(item: #"{"sku": "A", "on_hand": 1000000001}"#),
                .outOfRange,
                "items[0].on_hand"
            ),
            BadRequest(
                "bulk: on_hand float",
                J.bulk(item: #"{"sku": "A", "on_hand": 2.5}"#),
                .wrongType,
                "items[0].on_hand"
            ),
            BadRequest(
                "bulk: on_hand 12.0",
                J.bulk(item: #"{"sku": "A", "on_hand": 12.0}"#),
                .wrongType,
                "items[0].on_hand"
            ),
            BadRequest(
                "bulk: on_hand string",
                J.bulk(item: #"{"sku": "A", "on_hand": "12"}"#),
                .wrongType,
                "items[0].on_hand"
            ),
        ]
    }()

    @Test(arguments: badRequests)
    func refuses(_ bad: BadRequest) {
        let error = #expect(throws: RequestError.self) { try RequestDecoder().decode(bad.bytes) }
        #expect(error?.reason == bad.reason, "\(error.map(String.init(describing:)) ?? "no error")")
        #expect(error?.field == bad.field, "\(error.map(String.init(describing:)) ?? "no error")")
        #expect(error?.message.isEmpty == false)
    }

    @Test func tableIsLargeEnough() {
        #expect(Self.badRequests.count >= 35)
    }

    @Test func refusalDescriptionNamesTheField() throws {
        let error = #expect(throws: RequestError.self) {
            try RequestDecoder().decode(Array(RequestJSON.movement(line: #"{"sku": "A", "delta": 0}"#).utf8))
        }
        #expect(error?.description.hasPrefix("lines[0].delta: ") == true)
    }

    // MARK: - Good inputs

    @Test(arguments: MovementType.allCases)
    func decodesEveryMovementType(_ type: MovementType) throws {
        let text = RequestJSON.movement([("movement_type", RequestJSON.quoted(type.rawValue))])
        let decoded = try RequestDecoder().decode(Array(text.utf8))
        #expect(decoded.warnings.isEmpty)
        #expect(
            decoded.request
                == .movement(
                    Movement(
                        id: "rcpt-000123",
                        type: type,
                        lines: [Movement.Line(sku: "TEE-RED-M", location: "WH1", delta: -2)]
                    )
                )
        )
        #expect(decoded.request.id == "rcpt-000123")
        #expect(decoded.request.kind == "movement")
    }

    @Test func decodesTheContractExample() throws {
        let text = """
            {
              "kind": "movement",
              "id": "rcpt-000123",
              "movement_type": "receipt",
              "occurred_at": "2026-11-28T09:30:00Z",
              "reference": "PO-4711",
              "order": {"store": "main", "id": "1001"},
              "lines": [{"sku": "TEE-RED-M", "location": "WH1", "delta": -2}, {"sku": "MUG-01", "delta": 1000000000}]
            }
            """
        let decoded = try RequestDecoder().decode(Array(text.utf8))
        let expected = Movement(
            id: "rcpt-000123",
            type: .receipt,
            occurredAt: "2026-11-28T09:30:00Z",
            reference: "PO-4711",
            order: Movement.Order(store: "main", id: "1001"),
            lines: [
                Movement.Line(sku: "TEE-RED-M", location: "WH1", delta: -2),
                Movement.Line(sku: "MUG-01", location: nil, delta: 1_000_000_000),
            ]
        )
        #expect(decoded.request == .movement(expected))
        #expect(decoded.warnings.isEmpty)
    }

    @Test func acceptsTheLimits() throws {
        let id = String(repeating: "a", count: 119) + "AZ09._:/-"
        let sku = String(repeating: "S", count: 255)
        let lines = Array(repeating: #"{"sku": "\#(sku)", "delta": -1000000000}"#, count: 10_000)
        let text = RequestJSON.movement([
            ("id", RequestJSON.quoted(id)),
            ("reference", RequestJSON.quoted(String(repeating: "R", count: 255))),
            ("lines", "[" + lines.joined(separator: ",") + "]"),
        ])
        #expect(id.utf8.count == 128)
        let decoded = try RequestDecoder().decode(Array(text.utf8))
        guard case .movement(let movement) = decoded.request else {
            Issue.record("expected a movement")
            return
        }
        #expect(movement.id == id)
        #expect(movement.lines.count == 10_000)
        #expect(movement.lines.allSatisfy { $0.sku == sku && $0.delta == -1_000_000_000 })
    }

    @Test(arguments: [
        "2026-11-28T09:30:00Z",
        "2026-11-28T09:30:00.123456+05:30",
        "2026-11-28T09:30:00.5-08:00",
        "2026-11-28t09:30:00z",
        "2026-11-28 09:30:00+00:00",
        "2028-02-29T00:00:00Z",
        "2000-02-29T12:00:00-23:59",
        "2026-12-31T23:59:60Z",
        "2026-04-30T00:00:00Z",
    ])
    func acceptsRFC3339Times(_ time: String) throws {
        let decoded = try RequestDecoder().decode(Array(RequestJSON.movement([("occurred_at", "\"\(time)\"")]).utf8))
        guard case .movement(let movement) = decoded.request else {
            Issue.record("expected a movement")
            return
        }
        #expect(movement.occurredAt == time)
    }

    @Test(arguments: [
        "2026-11-28T09:30:00.Z", "2026-11-28T09:30:00+0530", "2026-11-28T24:00:00Z", "2026-11-28T09:60:00Z",
        "2026-11-32T09:30:00Z", "2026-00-28T09:30:00Z", "2026-11-28T09:30:00Z ", "26-11-28T09:30:00Z",
        "2026-11-28T09:30:00+24:00",
        // Days that do not exist: February 29 outside a leap year (1900 is not one), the 31st of a 30-day month.
        "2026-02-29T00:00:00Z", "2026-02-30T00:00:00Z", "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
        "2026-06-31T00:00:00Z", "2026-09-31T00:00:00Z", "2026-11-31T00:00:00Z", "2026-11-28T09:30:00+25:00",
        "2026-11-28T09:30:00+05:60", "2026-11-28T09:30:61Z",
    ])
    func rejectsNonRFC3339Times(_ time: String) {
        #expect(!RFC3339.isValid(time))
    }

    @Test func decodesBulkSyncSelected() throws {
        let text = RequestJSON.bulk([
            ("store", #""main""#), ("force", "true"),
            ("items", #"[{"sku": "A", "location": "WH1", "on_hand": 0}, {"sku": "B", "on_hand": 1000000000}]"#),
        ])
        let decoded = try RequestDecoder().decode(Array(text.utf8))
        let expected = BulkSync(
            id: "bulk-2026-11-28-01",
            store: "main",
            scope: .selected,
            force: true,
            items: [
                BulkSync.Item(sku: "A", location: "WH1", onHand: 0),
                BulkSync.Item(sku: "B", location: nil, onHand: 1_000_000_000),
            ]
        )
        #expect(decoded.request == .bulkSync(expected))
        #expect(decoded.request.kind == "bulk_sync")
        #expect(decoded.warnings.isEmpty)
    }

    @Test func decodesBulkSyncAllWithDefaults() throws {
        let decoded = try RequestDecoder().decode(Array(RequestJSON.bulk([("scope", #""all""#)]).utf8))
        let expected = BulkSync(
            id: "bulk-2026-11-28-01",
            store: nil,
            scope: .all,
            force: false,
            items: [BulkSync.Item(sku: "TEE-RED-M", location: "WH1", onHand: 12)]
        )
        #expect(decoded.request == .bulkSync(expected))
    }

    @Test func decodesBulkSyncAsOf() throws {
        let decoded = try RequestDecoder().decode(
            Array(RequestJSON.bulk([("as_of", RequestJSON.quoted("2026-12-01T10:00:00+01:00"))]).utf8)
        )
        guard case .bulkSync(let bulk) = decoded.request else {
            Issue.record("expected a bulk sync")
            return
        }
        #expect(bulk.asOf == "2026-12-01T10:00:00+01:00")
        #expect(decoded.warnings.isEmpty, "as_of is a known field: \(decoded.warnings)")
    }

    /// The mass-zero guard refuses an empty `all` later, with its own reason; decoding accepts it.
    @Test func decodesBulkSyncAllWithNoItems() throws {
        let decoded = try RequestDecoder().decode(
            Array(RequestJSON.bulk([("scope", #""all""#), ("items", "[]")]).utf8)
        )
        guard case .bulkSync(let bulk) = decoded.request else {
            Issue.record("expected a bulk sync")
            return
        }
        #expect(bulk.scope == .all)
        #expect(bulk.items.isEmpty)
    }

    @Test func nullOptionalFieldsAreAbsent() throws {
        let text = RequestJSON.movement([
            ("occurred_at", "null"), ("reference", "null"), ("order", "null"),
            ("lines", #"[{"sku": "A", "location": null, "delta": 3}]"#),
        ])
        let decoded = try RequestDecoder().decode(Array(text.utf8))
        #expect(
            decoded.request
                == .movement(
                    Movement(
                        id: "rcpt-000123",
                        type: .receipt,
                        lines: [Movement.Line(sku: "A", location: nil, delta: 3)]
                    )
                )
        )
        #expect(decoded.warnings.isEmpty)
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let text = RequestJSON.movement([
            ("reference", #""PO \"4711\" \/ \\ \u00e9 \ud83d\ude00""#),
            ("lines", #"[{"sku": "T\u00C9E", "delta": -9223372036854775807}]"#),
        ])
        let error = #expect(throws: RequestError.self) { try RequestDecoder().decode(Array(text.utf8)) }
        // The reference decoded; the delta is a 64-bit integer, refused for its size and not for its syntax.
        #expect(error?.reason == .outOfRange)
        let decoded = try RequestDecoder().decode(Array(text.replacing("-9223372036854775807", with: "7").utf8))
        guard case .movement(let movement) = decoded.request else {
            Issue.record("expected a movement")
            return
        }
        #expect(movement.reference == "PO \"4711\" / \\ é 😀")
        #expect(movement.lines.map(\.sku) == ["TÉE"])
    }

    @Test func acceptsDeepNestingInAnUnknownFieldUpToTheLimit() throws {
        let nested = String(repeating: "[", count: 63) + String(repeating: "]", count: 63)
        let decoded = try RequestDecoder().decode(Array(RequestJSON.movement([("extra", nested)]).utf8))
        #expect(decoded.warnings == ["ignored unknown field extra"])
    }

    // MARK: - Unknown fields

    @Test func unknownFieldsAreIgnoredWithWarningsNamingTheirPath() throws {
        let text = RequestJSON.movement([
            ("comment", #""from the night shift""#),
            ("order", #"{"store": "main", "id": "1001", "channel": "web"}"#),
            (
                "lines",
                #"[{"sku": "A", "delta": 1}, {"sku": "B", "delta": 2, "note": "x", "bin": 4}]"#
            ),
        ])
        let decoded = try RequestDecoder().decode(Array(text.utf8))
        #expect(
            Set(decoded.warnings) == [
                "ignored unknown field comment",
                "ignored unknown field order.channel",
                "ignored unknown field lines[1].note",
                "ignored unknown field lines[1].bin",
            ]
        )
        #expect(decoded.warnings.count == 4)
        guard case .movement(let movement) = decoded.request else {
            Issue.record("expected a movement")
            return
        }
        #expect(movement.lines.map(\.sku) == ["A", "B"])
        #expect(movement.order == Movement.Order(store: "main", id: "1001"))
    }

    @Test func unknownBulkFieldsAreIgnoredWithWarnings() throws {
        let text = RequestJSON.bulk([
            ("source", #""wms""#),
            ("items", #"[{"sku": "A", "on_hand": 1, "lot": "L1"}]"#),
        ])
        let decoded = try RequestDecoder().decode(Array(text.utf8))
        #expect(Set(decoded.warnings) == ["ignored unknown field source", "ignored unknown field items[0].lot"])
    }

    // MARK: - Movement types

    @Test(arguments: [
        (MovementType.receipt, "received"),
        (.return, "restock"),
        (.stocktakeVariance, "cycle_count_available"),
        (.adjustment, "correction"),
        (.pick, "movement_created"),
        (.shipment, "movement_created"),
        (.transfer, "movement_created"),
    ])
    func shopifyReason(_ type: MovementType, _ reason: String) {
        #expect(type.shopifyReason == reason)
    }

    @Test func everyMovementTypeHasARawNameFromTheContract() {
        #expect(
            Set(MovementType.allCases.map(\.rawValue)) == [
                "receipt", "pick", "shipment", "adjustment", "stocktake_variance", "transfer", "return",
            ]
        )
        #expect(MovementType.allCases.filter(\.consumesOrderStock) == [.pick, .shipment])
    }
}
