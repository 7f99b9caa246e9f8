import Foundation
import Logging
import Systemd

/// The journal entry of a scheduled drift check (`drift --journal`, which `shopify-sync-drift.service` runs).
enum DriftJournal {
    /// Logs one warning with ``MessageID/driftFound`` and the snapshot's path (`DRIFT_SNAPSHOT`), so monitoring
    /// can alert on `MESSAGE_ID=2ab2d58a0b50475da21dfc5db95b39dc`.
    ///
    /// `$SHOPIFY_SYNC_JOURNAL_SOCKET` names another journal socket, as for the daemon.
    static func logDriftFound(_ message: String, snapshot: String, store: String?) {
        let socket =
            ProcessInfo.processInfo.environment["SHOPIFY_SYNC_JOURNAL_SOCKET"] ?? JournalLogHandler.defaultSocketPath
        let logger = Logger(label: "shopify-sync") { JournalLogHandler(label: $0, socketPath: socket) }
        var metadata: Logger.Metadata = [
            "message_id": MessageID.driftFound.metadataValue,
            "drift.snapshot": .string(snapshot),
        ]
        if let store { metadata["shopify.store"] = .string(store) }
        logger.warning("\(message) (snapshot \(snapshot))", metadata: metadata)
    }
}
