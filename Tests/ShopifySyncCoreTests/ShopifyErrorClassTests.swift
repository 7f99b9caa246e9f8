import Foundation
import ShopifySyncCore
import Testing

/// Every Shopify error code classified, row by row, and the retry clock, with time passed in.
@Suite("Shopify error classes and the outage clock")
struct ShopifyErrorClassTests {
    /// The values of `enum NAME` in the vendored 2026-07 schema.
    static func schemaEnum(_ name: String) throws -> Set<String> {
        let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("vendor/shopify/schema-2026-07.graphql")
        let text = try String(contentsOf: schema, encoding: .utf8)
        guard let start = text.range(of: "\nenum \(name) {") else { return [] }
        let body = text[start.upperBound...].prefix { $0 != "}" }
        return Set(
            body.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty && !$0.hasPrefix("\"") && !$0.hasPrefix("#")
                    && $0.allSatisfy { $0.isUppercase || $0 == "_" }
            }
        )
    }

    @Test(
        "the table holds exactly the schema's userError codes of each mutation",
        arguments: [
            (InventoryMutation.adjust, "InventoryAdjustQuantitiesUserErrorCode"),
            (.set, "InventorySetQuantitiesUserErrorCode"),
        ]
    )
    func tableMatchesSchema(mutation: InventoryMutation, enumName: String) throws {
        let codes = try Self.schemaEnum(enumName)
        #expect(codes.count > 10, "could not read enum \(enumName) from the schema")
        let table = mutation == .adjust ? ShopifyErrorClass.adjustCodes : ShopifyErrorClass.setCodes
        #expect(Set(table.keys) == codes)
    }

    @Test(
        "each code's class, with and without a row",
        arguments: [
            ("IDEMPOTENCY_CONCURRENT_REQUEST", InventoryMutation.adjust, false, ShopifyErrorClass.retrySameKey),
            ("IDEMPOTENCY_CONCURRENT_REQUEST", .set, false, .retrySameKey),
            ("SERVICE_UNAVAILABLE", .adjust, false, .retrySameKey),
            ("IDEMPOTENCY_KEY_PARAMETER_MISMATCH", .adjust, false, .possiblyApplied),
            ("IDEMPOTENCY_KEY_PARAMETER_MISMATCH", .set, false, .possiblyApplied),
            ("IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED", .adjust, false, .reopenUnderNewKey),
            ("IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED", .set, false, .reopenUnderNewKey),
            ("INVALID_INVENTORY_ITEM", .adjust, true, .failRow),
            ("ITEM_NOT_STOCKED_AT_LOCATION", .set, true, .failRow),
            ("INVALID_QUANTITY_NEGATIVE", .set, true, .failRow),
            ("CHANGE_FROM_QUANTITY_STALE", .set, true, .rereadRow),
            ("COMPARE_QUANTITY_STALE", .set, true, .rereadRow),
            ("INVALID_REASON", .adjust, false, .failCall),
            ("ADJUST_QUANTITIES_FAILED", .adjust, false, .failCall),
            ("COMPARE_QUANTITY_REQUIRED", .set, false, .failCall),
            // A row-level code that names no row concerns the whole call.
            ("INVALID_INVENTORY_ITEM", .adjust, false, .failCall),
            ("CHANGE_FROM_QUANTITY_STALE", .set, false, .reopenUnderNewKey),
            // Codes this version does not know are never retried blindly.
            ("SOMETHING_NEW", .adjust, true, .failRow),
            ("SOMETHING_NEW", .set, false, .failCall),
        ]
    )
    func classes(code: String, mutation: InventoryMutation, namesRow: Bool, expected: ShopifyErrorClass) {
        #expect(ShopifyErrorClass.of(userErrorCode: code, mutation: mutation, namesRow: namesRow) == expected)
    }

    /// Every code of the schema, row by row, as Shopify documents them.
    static let everyCode: [(String, InventoryMutation, ShopifyErrorClass)] = [
        ("INTERNAL_LEDGER_DOCUMENT", .adjust, .failCall),
        ("INVALID_AVAILABLE_DOCUMENT", .adjust, .failCall),
        ("INVALID_INVENTORY_ITEM", .adjust, .failRow),
        ("INVALID_LEDGER_DOCUMENT", .adjust, .failCall),
        ("INVALID_LOCATION", .adjust, .failRow),
        ("INVALID_QUANTITY_DOCUMENT", .adjust, .failCall),
        ("INVALID_QUANTITY_NAME", .adjust, .failCall),
        ("INVALID_QUANTITY_TOO_LOW", .adjust, .failRow),
        ("INVALID_QUANTITY_TOO_HIGH", .adjust, .failRow),
        ("INVALID_REASON", .adjust, .failCall),
        ("INVALID_REFERENCE_DOCUMENT", .adjust, .failCall),
        ("SERVICE_UNAVAILABLE", .adjust, .retrySameKey),
        ("CHANGE_FROM_QUANTITY_STALE", .adjust, .rereadRow),
        ("ADJUST_QUANTITIES_FAILED", .adjust, .failCall),
        ("MAX_ONE_LEDGER_DOCUMENT", .adjust, .failCall),
        ("ITEM_NOT_STOCKED_AT_LOCATION", .adjust, .failRow),
        ("NON_MUTABLE_INVENTORY_ITEM", .adjust, .failRow),
        ("IDEMPOTENCY_CONCURRENT_REQUEST", .adjust, .retrySameKey),
        ("IDEMPOTENCY_KEY_PARAMETER_MISMATCH", .adjust, .possiblyApplied),
        ("IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED", .adjust, .reopenUnderNewKey),
        ("INVALID_INVENTORY_ITEM", .set, .failRow),
        ("INVALID_LOCATION", .set, .failRow),
        ("INVALID_QUANTITY_NEGATIVE", .set, .failRow),
        ("INVALID_REASON", .set, .failCall),
        ("INVALID_REFERENCE_DOCUMENT", .set, .failCall),
        ("ITEM_NOT_STOCKED_AT_LOCATION", .set, .failRow),
        ("INVALID_QUANTITY_TOO_HIGH", .set, .failRow),
        ("INVALID_QUANTITY_TOO_LOW", .set, .failRow),
        ("COMPARE_QUANTITY_REQUIRED", .set, .failCall),
        ("COMPARE_QUANTITY_STALE", .set, .rereadRow),
        ("CHANGE_FROM_QUANTITY_STALE", .set, .rereadRow),
        ("INVALID_NAME", .set, .failCall),
        ("NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR", .set, .failRow),
        ("NON_MUTABLE_INVENTORY_ITEM", .set, .failRow),
        ("IDEMPOTENCY_CONCURRENT_REQUEST", .set, .retrySameKey),
        ("IDEMPOTENCY_KEY_PARAMETER_MISMATCH", .set, .possiblyApplied),
        ("IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED", .set, .reopenUnderNewKey),
    ]

    @Test("every code of the schema has the class written here, naming its row", arguments: everyCode)
    func everyCodeNamingItsRow(code: String, mutation: InventoryMutation, expected: ShopifyErrorClass) {
        #expect(ShopifyErrorClass.of(userErrorCode: code, mutation: mutation, namesRow: true) == expected)
    }

    @Test("the rows here cover the whole table")
    func rowsCoverTheTable() {
        #expect(Self.everyCode.filter { $0.1 == .adjust }.count == ShopifyErrorClass.adjustCodes.count)
        #expect(Self.everyCode.filter { $0.1 == .set }.count == ShopifyErrorClass.setCodes.count)
    }

    @Test("a nil code is refused like an unknown one")
    func nilCode() {
        #expect(ShopifyErrorClass.of(userErrorCode: nil, mutation: .adjust, namesRow: false) == .failCall)
        #expect(ShopifyErrorClass.of(userErrorCode: nil, mutation: .set, namesRow: true) == .failRow)
    }

    // MARK: - The outage clock

    enum Event {
        case fail(Double)
        case suspend, succeed
    }

    @Test(
        "only active time of the current outage counts toward max_retry_hours",
        arguments: [
            // One failure: nothing counted yet.
            ([Event.fail(0)], 0.0),
            ([.fail(0), .fail(60), .fail(180)], 180),
            // A pause between failures: the paused time does not count.
            ([.fail(0), .fail(60), .suspend, .fail(86_400), .fail(86_430)], 90),
            // A success ends the outage.
            ([.fail(0), .fail(600), .succeed, .fail(700), .fail(760)], 60),
        ]
    )
    func outageClock(events: [Event], elapsed: Double) {
        var clock = OutageClock()
        for event in events {
            switch event {
            case .fail(let now): clock.failed(now: now)
            case .suspend: clock.suspended()
            case .succeed: clock.succeeded()
            }
        }
        #expect(clock.elapsed == elapsed)
    }

    @Test("the clock gives up at max_retry_hours of active outage, not before")
    func outageGivesUp() {
        var clock = OutageClock()
        clock.failed(now: 0)
        clock.failed(now: 3_599)
        #expect(!clock.shouldGiveUp(maxRetryHours: 1))
        clock.failed(now: 3_600)
        #expect(clock.shouldGiveUp(maxRetryHours: 1))
        // A long pause and then one failure does not give up at once.
        var paused = OutageClock()
        paused.failed(now: 0)
        paused.suspended()
        paused.failed(now: 100_000)
        #expect(!paused.shouldGiveUp(maxRetryHours: 1))
    }
}
