/// The daemon's own codes for a line that failed without a Shopify error code of its own.
///
/// Shopify's userError codes (`INVALID_INVENTORY_ITEM`, ...) are reported as Shopify gave them; these are the
/// rest, in reports, the journal's `SHOPIFY_ERROR_CODE` and `status`.
public enum FailureCode: String, Sendable, Hashable, CaseIterable {
    /// Shopify refused the call as a whole with a top-level GraphQL error: nothing was applied.
    case graphQLError = "graphql_error"
    /// Shopify could not be reached for `max_retry_hours` of active outage, and no attempt ever reached it
    /// (no connection, no name, a refused certificate): nothing was applied, so a requeue sends it again.
    case shopifyUnavailable = "shopify_unavailable"
    /// A call that may have been applied never got an answer before `max_retry_hours` of active outage: its
    /// lines end here and keep the call, with its key, for `requeue`.
    case outcomeUnknown = "outcome_unknown"
    /// An unknown outcome past the idempotency window: Shopify no longer remembers the key, so it is not sent
    /// again blindly. Settle it with `drift` and a bulk sync, or `requeue --resend-unknown`.
    case outcomeUnknownExpired = "outcome_unknown_expired"
    /// The stored call cannot be read back (an unknown payload format, or damage): it can never be sent.
    case unreadableIntent = "unreadable_intent"

    /// Whether a line failed this way may have been applied.
    public var mayHaveApplied: Bool { self == .outcomeUnknown || self == .outcomeUnknownExpired }
}
