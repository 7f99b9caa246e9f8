import ShopifySyncCore
import Testing

/// How Shopify's answer settles a call's lines, as a table: no daemon, no simulator.
@Suite("Settlement of a call")
struct SettlementTests {
    static let a = LineRef(requestID: "m-1", line: 0, store: "main")
    static let b = LineRef(requestID: "m-2", line: 0, store: "main")
    static let c = LineRef(requestID: "m-3", line: 0, store: "main")
    /// Two rows; `a` and `b` share row 0 (netted), `c` is row 1.
    static let rows = [
        Settlement.Row(item: "I1", location: "L1", changeFrom: 4, quantity: 9),
        Settlement.Row(item: "I2", location: "L1", changeFrom: 0, quantity: 2),
    ]
    static func members(rereads: Int = 0) -> [Settlement.Member] {
        [
            .init(ref: a, item: "I1", location: "L1", rereads: rereads),
            .init(ref: b, item: "I1", location: "L1", rereads: rereads),
            .init(ref: c, item: "I2", location: "L1", rereads: rereads),
        ]
    }

    static func settle(
        _ errors: [Settlement.UserError],
        mutation: InventoryMutation = .set,
        rereads: Int = 0
    ) -> Settlement {
        Settlement.of(mutation, rows: rows, members: members(rereads: rereads), errors: errors)
    }

    @Test("no userError: every member applied, with its row's before and after")
    func applied() {
        #expect(
            Self.settle([])
                == .applied([
                    Self.a: .init(before: 4, after: 9), Self.b: .init(before: 4, after: 9),
                    Self.c: .init(before: 0, after: 2),
                ])
        )
    }

    @Test(
        "whole-call errors by class; the most serious wins",
        arguments: [
            (
                [Settlement.UserError(code: "IDEMPOTENCY_KEY_PARAMETER_MISMATCH", message: "m", row: nil)],
                Settlement.possiblyApplied(code: "IDEMPOTENCY_KEY_PARAMETER_MISMATCH", message: "m")
            ),
            (
                [.init(code: "IDEMPOTENCY_CONCURRENT_REQUEST", message: "busy", row: nil)],
                .retrySameKey(code: "IDEMPOTENCY_CONCURRENT_REQUEST", message: "busy")
            ),
            ([.init(code: "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED", message: "x", row: nil)], .reopenUnderNewKey),
            (
                [.init(code: "INVALID_REASON", message: "bad reason", row: nil)],
                .failCall(code: "INVALID_REASON", message: "bad reason")
            ),
            ([.init(code: nil, message: "no code", row: nil)], .failCall(code: "USER_ERROR", message: "no code")),
            // Mixed: possibly applied outranks everything, retry outranks reopen and row errors.
            (
                [
                    .init(code: "INVALID_INVENTORY_ITEM", message: "r", row: 1),
                    .init(code: "IDEMPOTENCY_KEY_PARAMETER_MISMATCH", message: "m", row: nil),
                ], .possiblyApplied(code: "IDEMPOTENCY_KEY_PARAMETER_MISMATCH", message: "m")
            ),
            (
                [
                    .init(code: "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED", message: "x", row: nil),
                    .init(code: "IDEMPOTENCY_CONCURRENT_REQUEST", message: "busy", row: nil),
                ], .retrySameKey(code: "IDEMPOTENCY_CONCURRENT_REQUEST", message: "busy")
            ),
            (
                [
                    .init(code: "INVALID_INVENTORY_ITEM", message: "r", row: 1),
                    .init(code: "INVALID_REASON", message: "bad", row: nil),
                ], .failCall(code: "INVALID_REASON", message: "bad")
            ),
        ]
    )
    func wholeCall(errors: [Settlement.UserError], expected: Settlement) {
        #expect(Self.settle(errors) == expected)
    }

    @Test("a refused row that no line is in fails the call rather than coming back on every resend")
    func rowWithoutLines() {
        let settlement = Settlement.of(
            .adjust,
            rows: Self.rows,
            members: [.init(ref: Self.a, item: "I9", location: "L1")],
            errors: [.init(code: "INVALID_LOCATION", message: "x", row: 1)]
        )
        #expect(settlement == .failCall(code: "INVALID_LOCATION", message: "x"))
    }

    @Test("a refused row fails every line netted into it; the other lines go again")
    func refusedRow() {
        let settlement = Self.settle([.init(code: "INVALID_INVENTORY_ITEM", message: "gone", row: 0)])
        let failed = Settlement.LineVerdict.failed(code: "INVALID_INVENTORY_ITEM", message: "gone")
        #expect(settlement == .byRow([Self.a: failed, Self.b: failed]))
    }

    @Test(
        "a stale row is re-read up to three times, then its lines fail",
        arguments: [
            (0, Settlement.LineVerdict.reread), (2, .reread),
            (3, .failed(code: "CHANGE_FROM_QUANTITY_STALE", message: "stale")),
        ]
    )
    func staleRow(rereads: Int, expected: Settlement.LineVerdict) {
        let settlement = Self.settle(
            [.init(code: "CHANGE_FROM_QUANTITY_STALE", message: "stale", row: 1)],
            rereads: rereads
        )
        #expect(settlement == .byRow([Self.c: expected]))
    }

    @Test("a row index outside the call is about the call; a stale code naming no row reopens the call")
    func outOfRange() {
        #expect(
            Self.settle([.init(code: "INVALID_LOCATION", message: "x", row: 5)])
                == .failCall(code: "INVALID_LOCATION", message: "x")
        )
        #expect(Self.settle([.init(code: "CHANGE_FROM_QUANTITY_STALE", message: "x", row: nil)]) == .reopenUnderNewKey)
    }
}
