/// What an error Shopify returned means for the call that got it, and so what happens to its lines.
///
/// One table for every userError code of `inventoryAdjustQuantities` and `inventorySetQuantities` in the
/// 2026-07 schema. A call that returns any userError applies nothing (Shopify's mutations are all or nothing),
/// so the question is only whether to send again, under which key, and which lines fail.
public enum ShopifyErrorClass: String, Sendable, Hashable, CaseIterable {
    /// The first attempt under this key is still running, or Shopify is briefly unavailable: send the same
    /// call again, with the same key, after a backoff.
    case retrySameKey = "retry_same_key"
    /// A compare-and-set value was stale: the row is read again and planned anew.
    case rereadRow = "reread_row"
    /// The row it names is refused (unknown item, not stocked, out of range): that line fails; the call's
    /// other rows go again under a new key.
    case failRow = "fail_row"
    /// The call as a whole was refused before it applied anything: its lines fail with the code.
    case failCall = "fail_call"
    /// The key's first attempt failed on Shopify's side and the key is spent: nothing was applied, so the
    /// lines go again under a new key.
    case reopenUnderNewKey = "reopen_under_new_key"
    /// The key was used before with other parameters: that first use may have been applied. The lines end
    /// as `outcome_unknown` and the call is kept for an operator to settle; a critical journal entry.
    case possiblyApplied = "possibly_applied"

    /// Whether the class is about one row rather than the whole call.
    public var isRowLevel: Bool { self == .rereadRow || self == .failRow }
}

/// The two inventory mutations shopify-sync sends.
public enum InventoryMutation: String, Sendable, Hashable, CaseIterable {
    case adjust = "inventoryAdjustQuantities"
    case set = "inventorySetQuantities"
}

extension ShopifyErrorClass {
    /// Every `InventoryAdjustQuantitiesUserErrorCode` of the 2026-07 schema.
    public static let adjustCodes: [String: ShopifyErrorClass] = [
        "INTERNAL_LEDGER_DOCUMENT": .failCall,
        "INVALID_AVAILABLE_DOCUMENT": .failCall,
        "INVALID_INVENTORY_ITEM": .failRow,
        "INVALID_LEDGER_DOCUMENT": .failCall,
        "INVALID_LOCATION": .failRow,
        "INVALID_QUANTITY_DOCUMENT": .failCall,
        "INVALID_QUANTITY_NAME": .failCall,
        "INVALID_QUANTITY_TOO_LOW": .failRow,
        "INVALID_QUANTITY_TOO_HIGH": .failRow,
        "INVALID_REASON": .failCall,
        "INVALID_REFERENCE_DOCUMENT": .failCall,
        "SERVICE_UNAVAILABLE": .retrySameKey,
        "CHANGE_FROM_QUANTITY_STALE": .rereadRow,
        "ADJUST_QUANTITIES_FAILED": .failCall,
        "MAX_ONE_LEDGER_DOCUMENT": .failCall,
        "ITEM_NOT_STOCKED_AT_LOCATION": .failRow,
        "NON_MUTABLE_INVENTORY_ITEM": .failRow,
        "IDEMPOTENCY_CONCURRENT_REQUEST": .retrySameKey,
        "IDEMPOTENCY_KEY_PARAMETER_MISMATCH": .possiblyApplied,
        "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED": .reopenUnderNewKey,
    ]

    /// Every `InventorySetQuantitiesUserErrorCode` of the 2026-07 schema.
    public static let setCodes: [String: ShopifyErrorClass] = [
        "INVALID_INVENTORY_ITEM": .failRow,
        "INVALID_LOCATION": .failRow,
        "INVALID_QUANTITY_NEGATIVE": .failRow,
        "INVALID_REASON": .failCall,
        "INVALID_REFERENCE_DOCUMENT": .failCall,
        "ITEM_NOT_STOCKED_AT_LOCATION": .failRow,
        "INVALID_QUANTITY_TOO_HIGH": .failRow,
        "INVALID_QUANTITY_TOO_LOW": .failRow,
        "COMPARE_QUANTITY_REQUIRED": .failCall,
        "COMPARE_QUANTITY_STALE": .rereadRow,
        "CHANGE_FROM_QUANTITY_STALE": .rereadRow,
        "INVALID_NAME": .failCall,
        "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR": .failRow,
        "NON_MUTABLE_INVENTORY_ITEM": .failRow,
        "IDEMPOTENCY_CONCURRENT_REQUEST": .retrySameKey,
        "IDEMPOTENCY_KEY_PARAMETER_MISMATCH": .possiblyApplied,
        "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED": .reopenUnderNewKey,
    ]

    /// The class of a userError `code` of `mutation`, pointing at a row or not.
    ///
    /// A code the table does not know (a newer API) is refused conservatively: the row it names fails, or,
    /// naming none, the call fails; neither is sent again blindly.
    public static func of(userErrorCode code: String?, mutation: InventoryMutation, namesRow: Bool) -> Self {
        let table = mutation == .adjust ? adjustCodes : setCodes
        let known = code.flatMap { table[$0] } ?? (namesRow ? .failRow : .failCall)
        // A row-level class with no row to point at applies to the whole call.
        if known.isRowLevel && !namesRow { return known == .rereadRow ? .reopenUnderNewKey : .failCall }
        return known
    }
}
