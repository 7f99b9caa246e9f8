import Foundation
import Glibc
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
            for input in Self.contentCases {
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

            #expect(mkfifo("\(pending)/f-fifo.json", 0o600) == 0)
            expected.append(("f-fifo.json", "not_regular_file", nil))

            #expect(mkdir("\(pending)/f-directory.json", 0o700) == 0)
            expected.append(("f-directory.json", "not_regular_file", nil))

            // A valid movement, padded with whitespace past max_file_size.
            let padded = "{" + String(repeating: " ", count: Self.maxFileSize) + String(Self.good.dropFirst())
            try world.drop("f-too-large.json", padded)
            expected.append(("f-too-large.json", "too_large", nil))

            for name in ["bad name.json", "-x.json", "é.json", "x.json~oops!", "x.json.tmp", "x", "x.JSON", "x.jsonl"] {
                try world.drop(name, Self.good)
                expected.append((name, "bad_name", nil))
            }

            #expect(expected.count >= 32)
            try await world.waitFinished(expected.map(\.name), timeout: .seconds(90))

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
            #expect(await world.calls("inventoryAdjustQuantities").count == 1)
            #expect(FileManager.default.fileExists(atPath: symlinkTarget))

            // Nothing is lost: every dropped file is in exactly one of done/ and failed/, and in no other folder.
            for name in expected.map(\.name) + ["after.json"] {
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
            let counts = try world.spool.names(in: .failed).filter { !$0.hasSuffix(".error") }
            #expect(counts.count == expected.count)
        }
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
