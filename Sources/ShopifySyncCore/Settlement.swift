/// What Shopify's answer to one call means for each line the call carried.
///
/// A pure decision: the call's rows, its members and Shopify's userErrors in; what to do with the call and
/// each line out. No userError: every member is applied. Otherwise nothing was applied (Shopify's inventory
/// writes are all or nothing), and the most serious ``ShopifyErrorClass`` among the errors decides:
/// possibly applied, then retry with the same key, then reopen under a new key, then fail the call; failing
/// that, the rows named fail or are re-read (up to ``maxRereads`` times) and the rest goes again, without
/// them, under a new key.
public enum Settlement: Sendable, Hashable {
    /// One row of the call.
    public struct Row: Sendable, Hashable {
        public var item: String
        public var location: String
        /// The compare-and-set value of a set row.
        public var changeFrom: Int?
        /// The quantity a set row writes.
        public var quantity: Int?

        public init(item: String, location: String, changeFrom: Int? = nil, quantity: Int? = nil) {
            self.item = item
            self.location = location
            self.changeFrom = changeFrom
            self.quantity = quantity
        }
    }

    /// One line the call carried.
    public struct Member: Sendable, Hashable {
        public var ref: LineRef
        public var item: String?
        public var location: String?
        /// How often the line was re-read after a stale compare-and-set.
        public var rereads: Int

        public init(ref: LineRef, item: String?, location: String?, rereads: Int = 0) {
            self.ref = ref
            self.item = item
            self.location = location
            self.rereads = rereads
        }
    }

    /// One userError, with the row it names (already checked to be a row of the call).
    public struct UserError: Sendable, Hashable {
        public var code: String?
        public var message: String
        public var row: Int?

        public init(code: String?, message: String, row: Int?) {
            self.code = code
            self.message = message
            self.row = row
        }
    }

    /// What happens to one line when the rows are judged one by one.
    public enum LineVerdict: Sendable, Hashable {
        /// Its row is refused: the line fails with Shopify's code.
        case failed(code: String, message: String)
        /// Its compare-and-set value was stale: read again and planned anew.
        case reread
    }

    /// A line's quantities before and after an applied set row (nil for deltas).
    public struct Figures: Sendable, Hashable {
        public var before: Int?
        public var after: Int?

        public init(before: Int?, after: Int?) {
            self.before = before
            self.after = after
        }

        /// A set row that changed nothing (written to verify an older read): its lines end as equal, not
        /// applied.
        public var isUnchanged: Bool { before != nil && before == after }
    }

    /// Every member applied, with its figures.
    case applied([LineRef: Figures])
    /// The key's first use may have been applied: every line ends as `outcome_unknown`, the call is held.
    case possiblyApplied(code: String?, message: String)
    /// Send the same call again, with the same key, after a backoff.
    case retrySameKey(code: String?, message: String)
    /// Nothing was applied and the key is spent: every line goes again under a new key.
    case reopenUnderNewKey
    /// The call was refused as a whole: every line fails with `code`.
    case failCall(code: String, message: String)
    /// The rows named decide their lines; the lines not listed go again, without them, under a new key.
    case byRow([LineRef: LineVerdict])

    /// How many times a stale compare-and-set row is re-read before its line fails.
    public static let maxRereads = 3

    /// The settlement of a call of `mutation` with `rows` and `members` that Shopify answered with `errors`.
    public static func of(
        _ mutation: InventoryMutation,
        rows: [Row],
        members: [Member],
        errors: [UserError],
        maxRereads: Int = Settlement.maxRereads
    ) -> Settlement {
        guard !errors.isEmpty else {
            var figures: [LineRef: Figures] = [:]
            for member in members {
                let row = rows.first { $0.item == member.item && $0.location == member.location }
                figures[member.ref] = Figures(before: row?.changeFrom, after: row?.quantity)
            }
            return .applied(figures)
        }
        // A row index outside the call names no row: the error is about the call.
        let classified = errors.map { error in
            var error = error
            error.row = error.row.flatMap { rows.indices.contains($0) ? $0 : nil }
            return (
                error, ShopifyErrorClass.of(userErrorCode: error.code, mutation: mutation, namesRow: error.row != nil)
            )
        }
        if let (error, _) = classified.first(where: { $0.1 == .possiblyApplied }) {
            return .possiblyApplied(code: error.code, message: error.message)
        }
        if let (error, _) = classified.first(where: { $0.1 == .retrySameKey }) {
            return .retrySameKey(code: error.code, message: error.message)
        }
        if classified.contains(where: { $0.1 == .reopenUnderNewKey }) {
            return .reopenUnderNewKey
        }
        if let (error, _) = classified.first(where: { $0.1 == .failCall }) {
            return .failCall(code: error.code ?? "USER_ERROR", message: error.message)
        }
        var verdicts: [LineRef: LineVerdict] = [:]
        for (error, kind) in classified {
            guard let index = error.row else { continue }
            for member in members where member.item == rows[index].item && member.location == rows[index].location {
                if kind == .rereadRow && member.rereads < maxRereads {
                    verdicts[member.ref] = verdicts[member.ref] ?? .reread
                } else {
                    verdicts[member.ref] = .failed(code: error.code ?? "USER_ERROR", message: error.message)
                }
            }
        }
        // Errors that name rows none of the lines are in would come back unchanged on every resend.
        guard !verdicts.isEmpty else {
            return .failCall(code: errors[0].code ?? "USER_ERROR", message: errors[0].message)
        }
        return .byRow(verdicts)
    }
}
