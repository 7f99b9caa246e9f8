import Foundation
import Glibc
import TestSupport
import Testing

@testable import ShopifySync

/// Bad request files dropped into a running daemon's pending/: each ends in failed/ with its reason, nothing is
/// lost, and the daemon keeps applying good work afterwards.
@Suite(.timeLimit(.minutes(3)))
struct BadInputTests {
    typealias W = EngineWorld

    /// One bad file: its name in pending/, its bytes, and the reason (and field) its `.error` report must give.
    struct BadInput: Sendable, CustomStringConvertible {
        var name: String
        var bytes: [UInt8]
        var reason: String
        var field: String?

        init(_ name: String, _ text: String, _ reason: String, field: String? = nil) {
            self.name = name
            self.bytes = Array(text.utf8)
            self.reason = reason
            self.field = field
        }

        init(_ name: String, bytes: [UInt8], _ reason: String, field: String? = nil) {
            self.name = name
            self.bytes = bytes
            self.reason = reason
            self.field = field
        }

        var description: String { name }
    }

    /// A movement's JSON with `fields` spliced in after the kind; `lines` replaces the default single line.
    static func mv(_ fields: String = "\"id\":\"bad-1\",\"movement_type\":\"receipt\",", lines: String? = nil) -> String
    {
        "{\"kind\":\"movement\",\(fields)\"lines\":\(lines ?? "[{\"sku\":\"CAP-BLK\",\"delta\":1}]")}"
    }

    /// A movement with one line whose JSON is `line`.
    static func line(_ line: String) -> String { mv(lines: "[\(line)]") }

    /// A bulk sync's JSON with `fields` after the kind and id.
    static func bulk(_ fields: String) -> String { "{\"kind\":\"bulk_sync\",\"id\":\"bad-bulk\",\(fields)}" }

    static let good = movement("good-shape", "receipt", [("CAP-BLK", "WH1", 1)])

    /// A valid movement of 100 SOCK-3PK: whatever carries it must never be applied (the test checks SOCK-3PK).
    static let poison = movement("poison", "receipt", [("SOCK-3PK", "WH1", 100)])

    /// `text` in UTF-16 without a byte order mark.
    static func utf16(_ text: String, bigEndian: Bool) -> [UInt8] {
        text.utf16.flatMap { unit in
            let bytes = [UInt8(truncatingIfNeeded: unit), UInt8(truncatingIfNeeded: unit >> 8)]
            return bigEndian ? bytes.reversed() : bytes
        }
    }

    /// A movement of SOCK-3PK whose `occurred_at` is `time`.
    static func occurred(_ time: String) -> String {
        mv("\"id\":\"t\",\"movement_type\":\"receipt\",\"occurred_at\":\"\(time)\",")
    }

    /// A bulk sync with `fields` and a valid item list.
    static func bulkItems(_ fields: String) -> String {
        "{\"kind\":\"bulk_sync\",\(fields)\"items\":[{\"sku\":\"CAP-BLK\",\"on_hand\":1}]}"
    }

    /// The content refusals: malformed files, wrong shapes, and every field rule of contract section 3.
    static let contentCases: [BadInput] = [
        BadInput("b-malformed.json", "{\"kind\": movement}", "malformed_json"),
        BadInput("b-truncated.json", String(good.prefix(good.count / 2)), "malformed_json"),
        BadInput(
            "b-not-utf8.json",
            bytes: Array("{\"kind\":\"".utf8) + [0xFF, 0xFE, 0xC3] + Array("\"}".utf8),
            "malformed_json"
        ),
        BadInput("b-empty-file.json", "", "malformed_json"),
        BadInput("b-top-array.json", "[\(good)]", "not_an_object"),
        BadInput("b-top-string.json", "\"movement\"", "not_an_object"),
        BadInput("b-unknown-kind.json", "{\"kind\":\"transfer_order\",\"id\":\"x\"}", "unknown_kind", field: "kind"),
        BadInput("b-kind-missing.json", "{\"id\":\"x\",\"lines\":[]}", "missing_field", field: "kind"),
        BadInput("b-kind-number.json", "{\"kind\":1}", "wrong_type", field: "kind"),
        BadInput("b-id-missing.json", mv("\"movement_type\":\"receipt\","), "missing_field", field: "id"),
        BadInput(
            "b-id-too-long.json",
            mv("\"id\":\"\(String(repeating: "a", count: 129))\",\"movement_type\":\"receipt\","),
            "out_of_range",
            field: "id"
        ),
        BadInput("b-id-empty.json", mv("\"id\":\"\",\"movement_type\":\"receipt\","), "out_of_range", field: "id"),
        BadInput(
            "b-id-bad-char.json",
            mv("\"id\":\"rcpt 1\",\"movement_type\":\"receipt\","),
            "invalid_value",
            field: "id"
        ),
        BadInput("b-id-number.json", mv("\"id\":17,\"movement_type\":\"receipt\","), "wrong_type", field: "id"),
        BadInput(
            "b-type-bad.json",
            mv("\"id\":\"t\",\"movement_type\":\"sale\","),
            "invalid_value",
            field: "movement_type"
        ),
        BadInput("b-type-missing.json", mv("\"id\":\"t\","), "missing_field", field: "movement_type"),
        BadInput(
            "b-occurred-bad.json",
            mv("\"id\":\"o\",\"movement_type\":\"receipt\",\"occurred_at\":\"yesterday 9am\","),
            "invalid_value",
            field: "occurred_at"
        ),
        BadInput(
            "b-reference-long.json",
            mv("\"id\":\"r\",\"movement_type\":\"receipt\",\"reference\":\"\(String(repeating: "P", count: 256))\","),
            "out_of_range",
            field: "reference"
        ),
        BadInput("b-lines-empty.json", mv(lines: "[]"), "out_of_range", field: "lines"),
        BadInput("b-lines-object.json", mv(lines: "{}"), "wrong_type", field: "lines"),
        BadInput(
            "b-lines-missing.json",
            "{\"kind\":\"movement\",\"id\":\"l\",\"movement_type\":\"receipt\"}",
            "missing_field",
            field: "lines"
        ),
        BadInput(
            "b-lines-10001.json",
            mv(
                lines: "[" + Array(repeating: "{\"sku\":\"A\",\"delta\":1}", count: 10_001).joined(separator: ",") + "]"
            ),
            "out_of_range",
            field: "lines"
        ),
        BadInput("b-line-not-object.json", mv(lines: "[5]"), "not_an_object", field: "lines[0]"),
        BadInput(
            "b-sku-missing.json",
            line("{\"location\":\"WH1\",\"delta\":1}"),
            "missing_field",
            field: "lines[0].sku"
        ),
        BadInput("b-sku-empty.json", line("{\"sku\":\"\",\"delta\":1}"), "invalid_value", field: "lines[0].sku"),
        BadInput(
            "b-sku-too-long.json",
            line("{\"sku\":\"\(String(repeating: "S", count: 256))\",\"delta\":1}"),
            "out_of_range",
            field: "lines[0].sku"
        ),
        BadInput(
            "b-location-empty.json",
            line("{\"sku\":\"A\",\"location\":\"\",\"delta\":1}"),
            "invalid_value",
            field: "lines[0].location"
        ),
        BadInput("b-delta-string.json", line("{\"sku\":\"A\",\"delta\":\"2\"}"), "wrong_type", field: "lines[0].delta"),
        BadInput("b-delta-float.json", line("{\"sku\":\"A\",\"delta\":1.5}"), "wrong_type", field: "lines[0].delta"),
        BadInput("b-delta-zero.json", line("{\"sku\":\"A\",\"delta\":0}"), "invalid_value", field: "lines[0].delta"),
        BadInput(
            "b-delta-big.json",
            line("{\"sku\":\"A\",\"delta\":-1000000001}"),
            "out_of_range",
            field: "lines[0].delta"
        ),
        BadInput(
            "b-delta-huge.json",
            line("{\"sku\":\"A\",\"delta\":100000000000000000000}"),
            "out_of_range",
            field: "lines[0].delta"
        ),
        BadInput("b-delta-missing.json", line("{\"sku\":\"A\"}"), "missing_field", field: "lines[0].delta"),
        BadInput(
            "b-second-line-bad.json",
            mv(lines: "[{\"sku\":\"A\",\"delta\":1},{\"sku\":\"B\",\"delta\":0}]"),
            "invalid_value",
            field: "lines[1].delta"
        ),
        BadInput(
            "b-order-not-object.json",
            mv("\"id\":\"ord\",\"movement_type\":\"shipment\",\"order\":\"1001\","),
            "not_an_object",
            field: "order"
        ),
        BadInput(
            "b-order-no-store.json",
            mv("\"id\":\"ord\",\"movement_type\":\"shipment\",\"order\":{\"id\":\"1001\"},"),
            "missing_field",
            field: "order.store"
        ),
        BadInput(
            "b-on-hand-negative.json",
            bulk("\"scope\":\"selected\",\"items\":[{\"sku\":\"CAP-BLK\",\"on_hand\":-1}]"),
            "out_of_range",
            field: "items[0].on_hand"
        ),
        BadInput(
            "b-on-hand-big.json",
            bulk("\"scope\":\"selected\",\"items\":[{\"sku\":\"CAP-BLK\",\"on_hand\":1000000001}]"),
            "out_of_range",
            field: "items[0].on_hand"
        ),
        BadInput(
            "b-on-hand-float.json",
            bulk("\"scope\":\"selected\",\"items\":[{\"sku\":\"CAP-BLK\",\"on_hand\":2.5}]"),
            "wrong_type",
            field: "items[0].on_hand"
        ),
        BadInput(
            "b-unknown-store.json",
            bulk("\"store\":\"eu\",\"scope\":\"selected\",\"items\":[{\"sku\":\"CAP-BLK\",\"on_hand\":1}]"),
            "unknown_store"
        ),
        BadInput(
            "b-scope-bad.json",
            bulk("\"scope\":\"everything\",\"items\":[{\"sku\":\"CAP-BLK\",\"on_hand\":1}]"),
            "invalid_value",
            field: "scope"
        ),
        BadInput(
            "b-force-not-bool.json",
            bulk("\"scope\":\"all\",\"force\":\"yes\",\"items\":[{\"sku\":\"CAP-BLK\",\"on_hand\":1}]"),
            "wrong_type",
            field: "force"
        ),
        BadInput("b-selected-empty.json", bulk("\"scope\":\"selected\",\"items\":[]"), "out_of_range", field: "items"),
        BadInput(
            "b-item-not-object.json",
            bulk("\"scope\":\"selected\",\"items\":[[]]"),
            "not_an_object",
            field: "items[0]"
        ),
    ]

    /// Bytes that are not strict UTF-8 JSON: encodings, NULs, syntax a lenient parser would let through.
    static let syntaxCases: [BadInput] = [
        BadInput("s-bom.json", bytes: [0xEF, 0xBB, 0xBF] + Array(poison.utf8), "malformed_json"),
        BadInput("s-utf16le-bom.json", bytes: [0xFF, 0xFE] + utf16(poison, bigEndian: false), "malformed_json"),
        BadInput("s-utf16le.json", bytes: utf16(poison, bigEndian: false), "malformed_json"),
        BadInput("s-utf16be.json", bytes: utf16(poison, bigEndian: true), "malformed_json"),
        BadInput("s-nul-after.json", bytes: Array(poison.utf8) + [0], "malformed_json"),
        BadInput(
            "s-nul-in-string.json",
            mv("\"id\":\"n\",\"movement_type\":\"receipt\",\"reference\":\"PO\u{0}1\","),
            "malformed_json"
        ),
        BadInput("s-nul-only.json", bytes: [0, 0, 0, 0], "malformed_json"),
        BadInput("s-whitespace-only.json", " \n\t\r\n", "malformed_json"),
        BadInput("s-top-null.json", "null", "not_an_object"),
        BadInput("s-top-number.json", "-0", "not_an_object"),
        BadInput(
            "s-duplicate-id.json",
            "{\"kind\":\"movement\",\"id\":\"a\",\"id\":\"b\",\"movement_type\":\"receipt\",\"lines\":[]}",
            "malformed_json",
            field: "id"
        ),
        BadInput(
            "s-duplicate-kind.json",
            "{\"kind\":\"bulk_sync\",\"kind\":\"movement\"}",
            "malformed_json",
            field: "kind"
        ),
        BadInput(
            "s-duplicate-delta.json",
            line("{\"sku\":\"SOCK-3PK\",\"delta\":1,\"delta\":-1000}"),
            "malformed_json",
            field: "lines[0].delta"
        ),
        BadInput(
            "s-deep-extra-field.json",
            mv("\"id\":\"d\",\"movement_type\":\"receipt\",\"x\":\(nested(100)),"),
            "malformed_json"
        ),
        BadInput("s-deep-100000.json", nested(100_000), "malformed_json"),
        BadInput("s-trailing-comma-object.json", String(poison.dropLast()) + ",}", "malformed_json"),
        BadInput("s-trailing-comma-array.json", line("{\"sku\":\"SOCK-3PK\",\"delta\":1},"), "malformed_json"),
        BadInput("s-comment.json", "// WMS export\n" + poison, "malformed_json"),
        BadInput("s-single-quotes.json", poison.replacing("\"", with: "'"), "malformed_json"),
        BadInput("s-two-documents.json", poison + poison, "malformed_json"),
        BadInput(
            "s-lone-surrogate.json",
            mv("\"id\":\"s\",\"movement_type\":\"receipt\",\"reference\":\"\\ud800\","),
            "malformed_json"
        ),
        BadInput("s-delta-nan.json", line("{\"sku\":\"SOCK-3PK\",\"delta\":NaN}"), "malformed_json"),
        BadInput("s-delta-infinity.json", line("{\"sku\":\"SOCK-3PK\",\"delta\":-Infinity}"), "malformed_json"),
        BadInput("s-delta-leading-zero.json", line("{\"sku\":\"SOCK-3PK\",\"delta\":012}"), "malformed_json"),
    ]

    /// `depth` nested arrays.
    static func nested(_ depth: Int) -> String {
        String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
    }

    /// Numbers that are not what their field takes, and strings with control characters.
    static let valueCases: [BadInput] = [
        BadInput(
            "v-delta-1e400.json",
            line("{\"sku\":\"SOCK-3PK\",\"delta\":1e400}"),
            "out_of_range",
            field: "lines[0].delta"
        ),
        BadInput(
            "v-delta-2-pow-63.json",
            line("{\"sku\":\"SOCK-3PK\",\"delta\":9223372036854775808}"),
            "out_of_range",
            field: "lines[0].delta"
        ),
        BadInput(
            "v-delta-minus-zero.json",
            line("{\"sku\":\"SOCK-3PK\",\"delta\":-0}"),
            "invalid_value",
            field: "lines[0].delta"
        ),
        BadInput(
            "v-delta-minus-zero-float.json",
            line("{\"sku\":\"SOCK-3PK\",\"delta\":-0.0}"),
            "wrong_type",
            field: "lines[0].delta"
        ),
        BadInput(
            "v-delta-one-point-zero.json",
            line("{\"sku\":\"SOCK-3PK\",\"delta\":1.0}"),
            "wrong_type",
            field: "lines[0].delta"
        ),
        BadInput(
            "v-delta-exponent.json",
            line("{\"sku\":\"SOCK-3PK\",\"delta\":1e2}"),
            "wrong_type",
            field: "lines[0].delta"
        ),
        BadInput(
            "v-delta-tiny.json",
            line("{\"sku\":\"SOCK-3PK\",\"delta\":1e-400}"),
            "wrong_type",
            field: "lines[0].delta"
        ),
        BadInput(
            "v-on-hand-minus-zero-float.json",
            bulk("\"scope\":\"selected\",\"items\":[{\"sku\":\"CAP-BLK\",\"on_hand\":-0.0}]"),
            "wrong_type",
            field: "items[0].on_hand"
        ),
        BadInput(
            "v-sku-escaped-nul.json",
            line("{\"sku\":\"SOCK-3PK\\u0000\",\"delta\":1}"),
            "invalid_value",
            field: "lines[0].sku"
        ),
        BadInput(
            "v-reference-newline.json",
            mv("\"id\":\"r\",\"movement_type\":\"receipt\",\"reference\":\"PO\\n1\","),
            "invalid_value",
            field: "reference"
        ),
        // Timestamps that are not real RFC 3339 instants.
        BadInput("v-occurred-feb-30.json", occurred("2026-02-30T00:00:00Z"), "invalid_value", field: "occurred_at"),
        BadInput(
            "v-occurred-feb-29-2026.json",
            occurred("2026-02-29T12:00:00Z"),
            "invalid_value",
            field: "occurred_at"
        ),
        BadInput("v-occurred-apr-31.json", occurred("2026-04-31T12:00:00Z"), "invalid_value", field: "occurred_at"),
        BadInput("v-occurred-hour-24.json", occurred("2026-11-28T24:00:00Z"), "invalid_value", field: "occurred_at"),
        BadInput("v-occurred-minute-60.json", occurred("2026-11-28T09:60:00Z"), "invalid_value", field: "occurred_at"),
        BadInput(
            "v-occurred-offset-25.json",
            occurred("2026-11-28T09:30:00+25:00"),
            "invalid_value",
            field: "occurred_at"
        ),
        BadInput("v-occurred-no-offset.json", occurred("2026-11-28T09:30:00"), "invalid_value", field: "occurred_at"),
        BadInput("v-occurred-date-only.json", occurred("2026-11-28"), "invalid_value", field: "occurred_at"),
        BadInput(
            "v-as-of-feb-30.json",
            bulkItems("\"id\":\"b\",\"scope\":\"selected\",\"as_of\":\"2026-02-30T10:00:00+01:00\","),
            "invalid_value",
            field: "as_of"
        ),
    ]

    /// A wrong JSON type, then a missing value, at every field of both kinds of request.
    static let shapeCases: [BadInput] = [
        BadInput("w-kind-object.json", "{\"kind\":{},\"id\":\"x\"}", "wrong_type", field: "kind"),
        BadInput("w-kind-null.json", "{\"kind\":null,\"id\":\"x\"}", "missing_field", field: "kind"),
        BadInput("w-type-number.json", mv("\"id\":\"t\",\"movement_type\":3,"), "wrong_type", field: "movement_type"),
        BadInput(
            "w-occurred-number.json",
            mv("\"id\":\"t\",\"movement_type\":\"receipt\",\"occurred_at\":1764322200,"),
            "wrong_type",
            field: "occurred_at"
        ),
        BadInput(
            "w-reference-number.json",
            mv("\"id\":\"t\",\"movement_type\":\"receipt\",\"reference\":4711,"),
            "wrong_type",
            field: "reference"
        ),
        BadInput(
            "w-order-array.json",
            mv("\"id\":\"t\",\"movement_type\":\"pick\",\"order\":[],"),
            "not_an_object",
            field: "order"
        ),
        BadInput(
            "w-order-store-number.json",
            mv("\"id\":\"t\",\"movement_type\":\"pick\",\"order\":{\"store\":1,\"id\":\"1001\"},"),
            "wrong_type",
            field: "order.store"
        ),
        BadInput(
            "w-order-id-number.json",
            mv("\"id\":\"t\",\"movement_type\":\"pick\",\"order\":{\"store\":\"main\",\"id\":1001},"),
            "wrong_type",
            field: "order.id"
        ),
        BadInput(
            "m-order-id-missing.json",
            mv("\"id\":\"t\",\"movement_type\":\"pick\",\"order\":{\"store\":\"main\"},"),
            "missing_field",
            field: "order.id"
        ),
        BadInput("w-lines-string.json", mv(lines: "\"SOCK-3PK\""), "wrong_type", field: "lines"),
        BadInput("w-lines-null.json", mv(lines: "null"), "missing_field", field: "lines"),
        BadInput("w-sku-number.json", line("{\"sku\":42,\"delta\":1}"), "wrong_type", field: "lines[0].sku"),
        BadInput(
            "w-location-number.json",
            line("{\"sku\":\"SOCK-3PK\",\"location\":1,\"delta\":1}"),
            "wrong_type",
            field: "lines[0].location"
        ),
        BadInput(
            "w-delta-bool.json",
            line("{\"sku\":\"SOCK-3PK\",\"delta\":true}"),
            "wrong_type",
            field: "lines[0].delta"
        ),
        BadInput(
            "w-delta-null.json",
            line("{\"sku\":\"SOCK-3PK\",\"delta\":null}"),
            "missing_field",
            field: "lines[0].delta"
        ),
        BadInput(
            "w-delta-array.json",
            line("{\"sku\":\"SOCK-3PK\",\"delta\":[1]}"),
            "wrong_type",
            field: "lines[0].delta"
        ),
        // bulk_sync
        BadInput("w-bulk-id-number.json", bulkItems("\"id\":7,\"scope\":\"selected\","), "wrong_type", field: "id"),
        BadInput("m-bulk-id-missing.json", bulkItems("\"scope\":\"selected\","), "missing_field", field: "id"),
        BadInput(
            "w-bulk-store-number.json",
            bulkItems("\"id\":\"b\",\"store\":1,\"scope\":\"selected\","),
            "wrong_type",
            field: "store"
        ),
        BadInput("w-bulk-scope-number.json", bulkItems("\"id\":\"b\",\"scope\":1,"), "wrong_type", field: "scope"),
        BadInput("m-bulk-scope-missing.json", bulkItems("\"id\":\"b\","), "missing_field", field: "scope"),
        BadInput(
            "w-bulk-force-number.json",
            bulkItems("\"id\":\"b\",\"scope\":\"all\",\"force\":1,"),
            "wrong_type",
            field: "force"
        ),
        BadInput(
            "w-bulk-as-of-number.json",
            bulkItems("\"id\":\"b\",\"scope\":\"selected\",\"as_of\":0,"),
            "wrong_type",
            field: "as_of"
        ),
        BadInput("w-bulk-items-object.json", bulk("\"scope\":\"selected\",\"items\":{}"), "wrong_type", field: "items"),
        BadInput("m-bulk-items-missing.json", bulk("\"scope\":\"selected\""), "missing_field", field: "items"),
        BadInput(
            "w-bulk-sku-number.json",
            bulk("\"scope\":\"selected\",\"items\":[{\"sku\":1,\"on_hand\":1}]"),
            "wrong_type",
            field: "items[0].sku"
        ),
        BadInput(
            "m-bulk-sku-missing.json",
            bulk("\"scope\":\"selected\",\"items\":[{\"on_hand\":1}]"),
            "missing_field",
            field: "items[0].sku"
        ),
        BadInput(
            "w-bulk-location-number.json",
            bulk("\"scope\":\"selected\",\"items\":[{\"sku\":\"CAP-BLK\",\"location\":1,\"on_hand\":1}]"),
            "wrong_type",
            field: "items[0].location"
        ),
        BadInput(
            "w-bulk-on-hand-string.json",
            bulk("\"scope\":\"selected\",\"items\":[{\"sku\":\"CAP-BLK\",\"on_hand\":\"1\"}]"),
            "wrong_type",
            field: "items[0].on_hand"
        ),
        BadInput(
            "m-bulk-on-hand-missing.json",
            bulk("\"scope\":\"selected\",\"items\":[{\"sku\":\"CAP-BLK\"}]"),
            "missing_field",
            field: "items[0].on_hand"
        ),
    ]

    /// The largest request file the engine under test accepts: above the 10,001-line file, so that one is refused
    /// for its line count, and below the oversized file.
    static let maxFileSize = 262_144

    @Test("a table of bad inputs: each ends in failed/ with its reason, nothing is lost, and the daemon runs on")
    func badInputs() async throws {
        try await withEngine(extraConfig: "max_file_size = \(Self.maxFileSize)") { world in
            let pending = "\(world.directory)/spool/pending"
            // A producer's hidden file, written in place: ignored while it is there.
            try Data(Self.good.utf8).write(to: URL(fileURLWithPath: "\(pending)/.in-progress.json"))

            var expected: [(name: String, reason: String, field: String?)] = []
            for input in Self.contentCases + Self.syntaxCases + Self.valueCases + Self.shapeCases {
                try world.drop(input.name, bytes: input.bytes)
                expected.append((input.name, input.reason, input.field))
            }

            // File-level refusals made with real system calls in pending/.
            let symlinkTarget = "\(world.directory)/symlink-target.json"
            try Data(movement("via-symlink", "receipt", [("SOCK-3PK", "WH1", 100)]).utf8)
                .write(to: URL(fileURLWithPath: symlinkTarget))
            #expect(symlink(symlinkTarget, "\(pending)/f-symlink.json") == 0)
            expected.append(("f-symlink.json", "symlink", nil))

            let linkTarget = "\(world.directory)/hard-link-target.json"
            try Data(movement("via-hard-link", "receipt", [("SOCK-3PK", "WH1", 200)]).utf8)
                .write(to: URL(fileURLWithPath: linkTarget))
            #expect(link(linkTarget, "\(pending)/f-hard-link.json") == 0)
            expected.append(("f-hard-link.json", "hard_link", nil))

            // Symbolic links are moved, never followed: to a secret outside the spool, to a request inside it,
            // to nothing, to a folder.
            let insideTarget = "\(world.directory)/spool/tmp/.inside-target.json"
            try Data(Self.poison.utf8).write(to: URL(fileURLWithPath: insideTarget))
            let links = [
                ("f-symlink-shadow.json", "/etc/shadow"), ("f-symlink-in-spool.json", insideTarget),
                ("f-symlink-dangling.json", "\(world.directory)/nowhere.json"), ("f-symlink-to-etc.json", "/etc"),
                ("f-symlink-relative.json", "../tmp/.inside-target.json"),
            ]
            for (name, target) in links {
                #expect(symlink(target, "\(pending)/\(name)") == 0)
                expected.append((name, "symlink", nil))
            }
            // A symbolic link with a name that is not a request is moved unread too.
            #expect(symlink("/etc/shadow", "\(pending)/shadow") == 0)
            expected.append(("shadow", "bad_name", nil))

            let insideLinkTarget = "\(world.directory)/spool/tmp/.inside-hard-link.json"
            try Data(Self.poison.utf8).write(to: URL(fileURLWithPath: insideLinkTarget))
            #expect(link(insideLinkTarget, "\(pending)/f-hard-link-in-spool.json") == 0)
            expected.append(("f-hard-link-in-spool.json", "hard_link", nil))

            try makeSocket(at: "\(pending)/f-socket.json")
            expected.append(("f-socket.json", "not_regular_file", nil))

            if geteuid() == 0 {
                // /dev/zero's numbers: opened, it would read forever.
                #expect(mknod("\(pending)/f-char-device.json", S_IFCHR | 0o600, dev_t((1 << 8) | 5)) == 0)
                expected.append(("f-char-device.json", "not_regular_file", nil))
            }

            // 100 MB, sparse: refused from its size, never read.
            let hundredMB = "\(world.directory)/spool/tmp/.f-100mb.json"
            #expect(FileManager.default.createFile(atPath: hundredMB, contents: Data(Self.poison.utf8)))
            #expect(truncate(hundredMB, 100_000_000) == 0)
            #expect(rename(hundredMB, "\(pending)/f-100mb.json") == 0)
            expected.append(("f-100mb.json", "too_large", nil))

            // A name that is not UTF-8 is renamed to ~undecodable-<hex> in pending/, then refused as bad_name.
            let rawName: [UInt8] = Array("\(pending)/".utf8) + [0x66, 0xFF, 0x2E, 0x6A, 0x73, 0x6F, 0x6E, 0]
            let rawFD = rawName.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY | O_EXCL, 0o600) }
            }
            #expect(rawFD >= 0)
            close(rawFD)
            expected.append(("~undecodable-66ff2e6a736f6e", "bad_name", nil))

            #expect(mkfifo("\(pending)/f-fifo.json", 0o600) == 0)
            expected.append(("f-fifo.json", "not_regular_file", nil))

            #expect(mkdir("\(pending)/f-directory.json", 0o700) == 0)
            expected.append(("f-directory.json", "not_regular_file", nil))

            // A valid movement, padded with whitespace past max_file_size.
            let padded = "{" + String(repeating: " ", count: Self.maxFileSize) + String(Self.good.dropFirst())
            try world.drop("f-too-large.json", padded)
            expected.append(("f-too-large.json", "too_large", nil))

            let names = [
                "bad name.json", "-x.json", "--help.json", "é.json", "new\nline.json", "tab\tname.json", "x.json ",
                "x.json~oops!", "x.json.tmp", "x", "x.JSON", "x.jsonl", "x.json.error", "_x.json",
                String(repeating: "a", count: 196) + ".json",
            ]
            for name in names {
                try world.drop(name, Self.good)
                expected.append((name, "bad_name", nil))
            }

            // Unknown extra fields are not a refusal: the request is applied, with a warning for each.
            try world.drop(
                "e-extra-fields.json",
                Self.mv(
                    "\"id\":\"extra-1\",\"movement_type\":\"receipt\",\"comment\":{\"by\":\"night shift\"},",
                    lines: "[{\"sku\":\"TEE-RED-S\",\"location\":\"WH1\",\"delta\":2,\"bin\":\"A-07\"}]"
                )
            )

            #expect(expected.count >= 140)
            try await Self.waitFinished(world, expected.map(\.name) + ["e-extra-fields.json"])

            let (extraFolder, extraReport) = try world.report("e-extra-fields.json")
            #expect(extraFolder == "done")
            #expect(extraReport.outcome == "applied")
            #expect(
                Set(extraReport.warnings ?? []) == [
                    "ignored unknown field comment", "ignored unknown field lines[0].bin",
                ]
            )
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1001", W.main1) == 12)

            for (name, reason, field) in expected {
                let (folder, report) = try world.report(name)
                #expect(folder == "failed", "\(name)")
                #expect(report.outcome == "refused", "\(name)")
                #expect(report.reason == reason, "\(name): \(report.message ?? "")")
                if let field { #expect(report.field == field, "\(name): \(report.message ?? "")") }
                #expect(report.message?.isEmpty == false, "\(name)")
            }

            // The daemon runs on: a good movement after all of them is applied.
            let (folder, report) = try await world.run(
                "after.json",
                movement("after-1", "receipt", [("CAP-BLK", "WH1", 3)])
            )
            #expect(folder == "done")
            #expect(report.outcome == "applied")
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1009", W.main1) == 13)
            // Neither link was followed: what they point to was never applied.
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1011", W.main1) == 10)
            #expect(await world.calls("inventoryAdjustQuantities").count == 2)
            #expect(FileManager.default.fileExists(atPath: symlinkTarget))
            // The links were moved as links, pointing where they pointed; what they point to is untouched.
            for (name, target) in links {
                #expect(Self.linkTarget("\(world.directory)/spool/failed/\(name)") == target, "\(name)")
            }
            #expect(Self.linkTarget("\(world.directory)/spool/failed/shadow") == "/etc/shadow")
            #expect(FileManager.default.contents(atPath: insideTarget) == Data(Self.poison.utf8))
            let (_, shadowReport) = try world.report("f-symlink-shadow.json")
            #expect(shadowReport.message?.contains("root:") == false)

            // Nothing is lost: every dropped file is in exactly one of done/ and failed/, and in no other folder.
            for name in expected.map(\.name) + ["e-extra-fields.json", "after.json"] {
                let places = ["pending", "processing", "done", "failed"].filter {
                    Self.entryExists("\(world.directory)/spool/\($0)/\(name)")
                }
                #expect(places.count == 1 && (places == ["done"] || places == ["failed"]), "\(name) is in \(places)")
            }
            #expect(Self.entryType("\(world.directory)/spool/failed/f-symlink.json") == S_IFLNK)
            #expect(Self.entryType("\(world.directory)/spool/failed/f-fifo.json") == S_IFIFO)
            #expect(Self.entryType("\(world.directory)/spool/failed/f-directory.json") == S_IFDIR)

            // The hidden name was left alone in pending/.
            #expect(Self.entryExists("\(pending)/.in-progress.json"))
            // A request in failed/ is a name with its report beside it (x.json.error is one, refused as bad_name).
            let failedNames = Set(try world.spool.names(in: .failed))
            #expect(failedNames.filter { failedNames.contains($0 + ".error") }.count == expected.count)
        }
    }

    @Test("a file replaced or removed between claim and read, or still being written, ends in failed/ or nowhere")
    func claimReadRaces() async throws {
        try await withEngine { world in
            let processing = "\(world.directory)/spool/processing"
            let processor = SpoolProcessor(runtime: world.runtime)
            // What the daemon finds in processing/ when it reads a file it just claimed, had the entry been
            // replaced in between: each is refused from lstat/fstat, never opened for what it points to.
            var expected: [(name: String, reason: String)] = []
            #expect(symlink("/etc/shadow", "\(processing)/r-symlink-shadow.json") == 0)
            expected.append(("r-symlink-shadow.json", "symlink"))
            #expect(mkfifo("\(processing)/r-fifo.json", 0o600) == 0)
            expected.append(("r-fifo.json", "not_regular_file"))
            let other = "\(world.directory)/r-other.json"
            try Data(Self.poison.utf8).write(to: URL(fileURLWithPath: other))
            #expect(link(other, "\(processing)/r-hard-link.json") == 0)
            expected.append(("r-hard-link.json", "hard_link"))
            #expect(mkdir("\(processing)/r-directory.json", 0o700) == 0)
            expected.append(("r-directory.json", "not_regular_file"))
            for (name, _) in expected { processor.ingest([name]) }

            // Removed after the claim: there is nothing left to refuse; the daemon notes nothing and goes on.
            processor.ingest(["r-removed.json"])
            #expect(!Self.entryExists("\(world.directory)/spool/failed/r-removed.json"))
            #expect(!Self.entryExists("\(world.directory)/spool/failed/r-removed.json.error"))

            // Renamed into pending/ while its producer still writes: the daemon reads what is there, refuses the
            // half, and the rest written afterwards goes into the file in failed/, never into the ledger.
            let temporary = "\(world.directory)/spool/tmp/.r-still-writing.json"
            let fd = open(temporary, O_CREAT | O_WRONLY | O_EXCL, 0o640)
            #expect(fd >= 0)
            defer { close(fd) }
            let bytes = Array(Self.poison.utf8)
            let half = bytes.count / 2
            #expect(bytes[..<half].withUnsafeBytes { write(fd, $0.baseAddress, half) } == half)
            #expect(rename(temporary, "\(world.directory)/spool/pending/r-still-writing.json") == 0)
            try await world.waitFinished(["r-still-writing.json"])
            #expect(
                bytes[half...].withUnsafeBytes { write(fd, $0.baseAddress, bytes.count - half) } == bytes.count - half
            )
            expected.append(("r-still-writing.json", "malformed_json"))

            for (name, reason) in expected {
                let (folder, report) = try world.report(name)
                #expect(folder == "failed", "\(name)")
                #expect(report.outcome == "refused", "\(name)")
                #expect(report.reason == reason, "\(name): \(report.message ?? "")")
                #expect(!Self.entryExists("\(processing)/\(name)"), "\(name)")
            }
            #expect(Self.linkTarget("\(world.directory)/spool/failed/r-symlink-shadow.json") == "/etc/shadow")
            #expect(
                FileManager.default.contents(atPath: "\(world.directory)/spool/failed/r-still-writing.json")
                    == Data(bytes)
            )

            // The daemon runs on, and none of these was applied.
            let (folder, report) = try await world.run(
                "after.json",
                movement("after-1", "receipt", [("CAP-BLK", "WH1", 3)])
            )
            #expect(folder == "done")
            #expect(report.outcome == "applied")
            #expect(await world.onHand("main", "gid://shopify/InventoryItem/1011", W.main1) == 10)
            #expect(await world.calls("inventoryAdjustQuantities").count == 1)
        }
    }

    /// Waits until each of `names` is in done/ or failed/, looking at the entries themselves (a dangling symbolic
    /// link is there too).
    static func waitFinished(_ world: EngineWorld, _ names: [String]) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        var left = names
        while !left.isEmpty {
            left = left.filter { name in
                !["done", "failed"].contains { entryExists("\(world.directory)/spool/\($0)/\(name)") }
            }
            guard ContinuousClock.now < deadline else {
                Issue.record("still not finished: \(left)")
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Where the symbolic link at `path` points; nil when it is not one.
    static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether a directory entry exists, without following a symbolic link.
    static func entryExists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The entry's file type bits (S_IFMT), without following a symbolic link; nil when it does not exist.
    static func entryType(_ path: String) -> mode_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_mode & S_IFMT
    }
}
