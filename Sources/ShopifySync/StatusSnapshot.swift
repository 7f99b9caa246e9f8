import Foundation
import ShopifySyncCore
import Spool
import SyncState

/// What `status` shows: spool counts, the oldest pending file's age, each store's state, recent failures.
public struct StatusSnapshot: Codable, Sendable {
    public struct Store: Codable, Sendable {
        /// ok, paused, backoff, disabled.
        public var state: String
        public var reason: String?
        public var lastSuccess: String?
        public var lastError: String?
        public var openLines: Int
    }

    public struct Failure: Codable, Sendable {
        public var file: String
        public var reason: String?
        public var message: String?
        public var at: String
    }

    public var pending: Int
    public var processing: Int
    public var done: Int
    public var failed: Int
    /// 0 when nothing is pending.
    public var oldestPendingAgeS: Double
    public var stores: [String: Store]
    public var recentErrors: [Failure]

    /// Reads the spool and the state database (read-only when it exists; nothing when it does not).
    public static func read(config: SyncConfig, state: StateStore?, spool: Spool, now: Date) throws -> StatusSnapshot {
        let pendingExists = FileManager.default.fileExists(atPath: spool.path(.pending).string)
        let counts =
            pendingExists
            ? try spool.counts(now: now)
            : SpoolCounts(pending: 0, processing: 0, done: 0, failed: 0, oldestPendingAge: nil)
        let states = try state?.storeStates() ?? [:]
        let open = try state?.openLineCounts() ?? [:]
        var stores: [String: Store] = [:]
        for name in config.storeNames {
            let record = states[name]
            let enabled = config.stores[name]?.enabled ?? false
            stores[name] = Store(
                state: enabled
                    ? (record?.state == .disabled ? "ok" : record?.state.rawValue ?? "ok") : "disabled",
                reason: enabled ? record?.reason : nil,
                lastSuccess: record?.lastSuccess.map { RequestReport.timestamp(Date(timeIntervalSince1970: $0)) },
                lastError: record?.lastError,
                openLines: open[name] ?? 0
            )
        }
        let failures = try state?.recentFailures(limit: 10) ?? []
        return StatusSnapshot(
            pending: counts.pending,
            processing: counts.processing,
            done: counts.done,
            failed: counts.failed,
            oldestPendingAgeS: counts.oldestPendingAge ?? 0,
            stores: stores,
            recentErrors: failures.map {
                Failure(
                    file: $0.name,
                    reason: $0.reason,
                    message: $0.message,
                    at: RequestReport.timestamp(Date(timeIntervalSince1970: $0.at))
                )
            }
        )
    }

    /// One line for systemd's STATUS=: `pending 3, processing 1, failed 0; main ok; au paused: 401`.
    public static func line(counts: SpoolCounts, stores: [(String, String)]) -> String {
        let storeText = stores.map { "\($0.0) \($0.1)" }.joined(separator: "; ")
        return "pending \(counts.pending), processing \(counts.processing), failed \(counts.failed)"
            + (storeText.isEmpty ? "" : "; \(storeText)")
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    public func text() -> String {
        var lines = [
            "pending \(pending), processing \(processing), done \(done), failed \(failed)"
                + (pending > 0 ? String(format: "; oldest pending %.0f s", oldestPendingAgeS) : "")
        ]
        for name in stores.keys.sorted() {
            guard let store = stores[name] else { continue }
            var line = "store \(name): \(store.state)"
            if let reason = store.reason { line += " (\(reason))" }
            line += ", open lines \(store.openLines)"
            if let lastSuccess = store.lastSuccess { line += ", last success \(lastSuccess)" }
            if let lastError = store.lastError { line += ", last error: \(lastError)" }
            lines.append(line)
        }
        if !recentErrors.isEmpty {
            lines.append("recent failures:")
            for failure in recentErrors {
                lines.append("  \(failure.at) \(failure.file): \(failure.reason ?? "") \(failure.message ?? "")")
            }
        }
        return lines.joined(separator: "\n")
    }
}
