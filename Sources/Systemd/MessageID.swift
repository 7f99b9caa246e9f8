import Logging

/// A stable journal `MESSAGE_ID` for each kind of event the daemon logs.
///
/// The raw value is a 32-hex-digit id, fixed forever: `systemd/shopify-sync.catalog` explains each one, and
/// admins filter with `journalctl MESSAGE_ID=<id>`. Never change a raw value; add a new case instead.
///
/// Attach one to a log entry with the `"message_id"` metadata key:
/// `logger.info("file done", metadata: ["message_id": MessageID.fileDone.metadataValue])`.
public enum MessageID: String, CaseIterable, Sendable, CustomStringConvertible {
    /// The daemon started and finished recovery and its first scan (READY=1 follows).
    case daemonStarted = "148164b5098c4591a8ddd8fb1690da29"
    /// The daemon received SIGTERM and is finishing in-flight calls.
    case daemonStopping = "89f4ab9164d945c4ab3080140c339bdf"
    /// SIGHUP: the new configuration and catalog are in use.
    case reloaded = "f14aa15d5f44421e95d9199a2f953edc"
    /// SIGHUP: the new configuration or catalog was invalid; the running one is kept.
    case reloadRefused = "7e38417770cb4e169d466cd9510d06a6"
    /// A request file was claimed from pending/.
    case fileAccepted = "a4545bf6003b48868a842629a8849cc4"
    /// A request file finished and moved to done/.
    case fileDone = "8bd7f23a335943d5b58ba03a0fb615de"
    /// A request file did not finish and moved to failed/.
    case fileFailed = "c70652f9c8f842e6a35f288418da43a5"
    /// A file in pending/ was not a valid request (bad name, not JSON, wrong shape, too large, ...).
    case fileRejected = "b7743465eef34035901d186a28309bac"
    /// One line (SKU) of a request was skipped (unknown SKU, sync=false, no inventory item, ...).
    case lineSkipped = "020e026eb8c54c60999a10dfdf796131"
    /// One line (SKU) of a request was rejected by Shopify (a userError).
    case lineFailed = "e78f9ab51bdd46668b913ef5bf552fee"
    /// One Shopify call was applied.
    case callApplied = "f5466b3ad35448b3b01e2603f3f73a97"
    /// A Shopify call failed transiently (throttled, 5xx, network) and will be retried.
    case callRetrying = "a5d2830c63f548fa86f02c555f890d71"
    /// A store was paused: Shopify answered 401, 402, 403 or 423.
    case storePaused = "6427cb6eba904b3b9a739d6b37c7a31c"
    /// A paused store works again.
    case storeResumed = "0dab44cf13c243ccbf92cd875717b2de"
    /// A bulk sync finished: counts of items set, equal, skipped and failed.
    case bulkSyncSummary = "7d42c3cd460c403593e0c685be8b55f9"
    /// A bulk or hard sync's on_hand read through a Shopify bulk operation started, finished, or fell back to
    /// paged reads (the shop denies bulk operations, or one failed).
    case bulkRead = "9dd3b417f3d84f40a954becde3e724cd"
    /// One item of a bulk sync: before, after, or why it was skipped.
    case bulkSyncItem = "64c2be2e11ab499abb9273f914c02ac5"
    /// Retention removed old files from done/.
    case retentionRemoved = "484f177053c34079a5aa577cb0fc23cd"
    /// The work loop made no progress within the watchdog interval; watchdog pings are withheld.
    case workLoopStalled = "7c74ef77b76d4f6483454ace250c05e4"
    /// The work loop makes progress again after a stall; watchdog pings resume.
    case workLoopRecovered = "c7fb240de7854b6e8af01283b4e81fd2"
    /// `drift --journal` (the drift timer) found Shopify's on_hand differing from the WMS snapshot.
    case driftFound = "2ab2d58a0b50475da21dfc5db95b39dc"
    /// Work could not go on for a reason of this machine (a full disk, an I/O error, a full ledger); it stays
    /// where it is and is retried with backoff. Logged once per file, and again when it recovers.
    case localFault = "8f93cf5442b94cd3939c6e9220f5260c"

    /// The 32-hex-digit id, as journald stores it in `MESSAGE_ID`.
    public var description: String { rawValue }

    /// The id as a metadata value for the `"message_id"` key.
    public var metadataValue: Logger.MetadataValue { .string(rawValue) }
}
