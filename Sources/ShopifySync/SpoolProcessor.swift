import Foundation
import Logging
import ShopifySyncCore
import Spool
import SyncState
import Synchronization
import SystemPackage
import Systemd

/// The spool side of the daemon: claims request files, records them in the ledger, refuses bad ones, and
/// moves finished ones to done/ or failed/ with their reports.
///
/// Durability: a request's outcome is in the ledger before its file leaves processing/, so a crash at any point
/// leaves each file in exactly one folder and its work recorded once.
final class SpoolProcessor: Sendable {
    let runtime: SyncRuntime
    /// Work that failed for a reason of this machine, not of the file (ENOSPC, EIO, EMFILE, a full ledger):
    /// kept where it is and retried with backoff by the running daemon. Nothing goes to failed/ for it.
    private struct LocalFailures {
        /// Files in processing/ to read and record again.
        var files: Set<String> = []
        /// Requests recorded as finished whose files could not be moved on yet.
        var unmoved: Set<String> = []
        /// Failed attempts in the current episode; the first is logged.
        var failures = 0
        var notBefore: ContinuousClock.Instant?
        var delay: Duration = .milliseconds(250)

        var isEmpty: Bool { files.isEmpty && unmoved.isEmpty }
    }
    private let local = Mutex(LocalFailures())
    /// Names the last listing of pending/ found and no turn has claimed yet, oldest first.
    private struct Backlog {
        var names: [String] = []
        var next = 0

        var isEmpty: Bool { next >= names.count }

        mutating func take(_ count: Int) -> ArraySlice<String> {
            let end = min(names.count, next + count)
            defer {
                next = end
                if isEmpty { self = Backlog() }
            }
            return names[next..<end]
        }
    }
    private let backlog = Mutex(Backlog())
    /// When the oldest report written without an fsync of its own was written, until the filesystem is synced.
    private let unsyncedSince = Mutex<ContinuousClock.Instant?>(nil)
    /// How long a finished request's report may wait for the filesystem sync that makes it durable; a crash
    /// before it leaves the report to be rewritten from the ledger at recovery.
    static let reportSyncDelay = Duration.seconds(1)
    /// The most pending files one turn claims and records: a backlog of any size is taken in chunks, so the first
    /// requests reach Shopify while the rest still wait, and memory does not grow with the backlog.
    static let chunk = 500
    private var logger: Logger { runtime.logger }
    private var spool: Spool { runtime.spool }
    private var state: StateStore { runtime.state }

    init(runtime: SyncRuntime) {
        self.runtime = runtime
    }

    // MARK: - Recovery

    /// Resumes what a previous run left in processing/: finished requests are moved on, the rest resume.
    ///
    /// Each file is read and decoded once, here. Files the ledger knows are taken in the order it recorded them
    /// (so their lines net into the same calls, under the same keys, as before the crash); files claimed but
    /// never recorded follow, by name.
    func recover() throws {
        var unfinished: [ReadFile] = []
        for name in Self.recoveryOrder(try spool.names(in: .processing), ledgerOrder: try state.activeRequestFiles()) {
            guard let decoded = readRequest(name) else { continue }
            if let finished = try finishedRequest(decoded.request, inFile: name) {
                try finish([(finished, try state.lines(requestID: finished.id))])
            } else {
                unfinished.append(ReadFile(name: name, decoded: decoded))
                if unfinished.count == Self.chunk {
                    record(unfinished)
                    unfinished = []
                }
            }
        }
        record(unfinished)
        // The marks left by the run before are cleared by one filesystem sync; with none, and nothing finished
        // above, there is nothing to sync.
        let marked = try repairReports()
        try syncReports(always: marked > 0)
    }

    /// Checks the reports a crash may have caught before the filesystem sync (the ledger marks them) and
    /// rewrites from the ledger, durably, each one that is missing, empty or cut short; returns how many are
    /// marked.
    private func repairReports() throws -> Int {
        let marked = try state.unsyncedReports()
        for record in marked {
            let folder: SpoolFolder = record.status == .failed ? .failed : .done
            let copies = try spool.finishedCopies(of: record.spoolFile, in: folder).map {
                (copy: $0, report: $0.report.flatMap(Self.reportObject))
            }
            guard !copies.contains(where: { Self.isReport($0.report, of: record) }),
                let damaged = copies.last(where: { $0.report == nil })?.copy
            else { continue }
            let report = Self.report(
                record,
                lines: try state.lines(requestID: record.id),
                finishedAt: Date(timeIntervalSince1970: record.finishedAt ?? runtime.now().timeIntervalSince1970)
            )
            try spool.rewriteReport(damaged.finalName, in: folder, contents: report.encoded())
            logger.notice(
                "rewrote the report of \(record.spoolFile) from the state database: a crash came before it was on disk",
                metadata: [
                    "message_id": MessageID.fileDone.metadataValue,
                    "spool.file": "\(record.spoolFile)",
                    "wms.movement_id": "\(record.id)",
                ]
            )
        }
        return marked.count
    }

    /// A report's JSON object; nil when the bytes are not a whole one (empty or cut short).
    private static func reportObject(_ bytes: [UInt8]) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
    }

    /// Whether `report` is `record`'s (its id and outcome: a duplicate of it has the same id).
    private static func isReport(_ report: [String: Any]?, of record: RequestRecord) -> Bool {
        guard let report else { return false }
        return report["id"] as? String == record.id && report["outcome"] as? String == (record.outcome ?? "applied")
    }

    // MARK: - Report durability

    /// Makes every report written without an fsync durable in one filesystem sync, then clears the ledger's
    /// marks (but those of requests whose files could not move yet). Does nothing when no report waits, unless
    /// `always` (at recovery, where the marks come from the run before).
    func syncReports(always: Bool = false) throws {
        let waiting = unsyncedSince.withLock { since in
            defer { since = nil }
            return since != nil
        }
        guard waiting || always else { return }
        do {
            try spool.syncFilesystem()
            try state.markReportsSynced(except: local.withLock { $0.unmoved })
        } catch {
            unsyncedSince.withLock { $0 = $0 ?? .now }
            throw error
        }
    }

    /// Syncs the reports once the oldest unsynced one has waited ``reportSyncDelay``; the spool loop calls it on
    /// every turn.
    func syncReportsIfDue() throws {
        guard let since = unsyncedSince.withLock({ $0 }), ContinuousClock.now - since >= Self.reportSyncDelay else {
            return
        }
        try syncReports()
    }

    /// `names` (the files in processing/) in the ledger's order first, then the ones it does not know, by name.
    static func recoveryOrder(_ names: [String], ledgerOrder: [String]) -> [String] {
        let present = Set(names)
        var seen: Set<String> = []
        let known = ledgerOrder.filter { present.contains($0) && seen.insert($0).inserted }
        return known + names.filter { !seen.contains($0) }.sorted()
    }

    /// A request recorded as finished whose file is still in processing/ (a crash between the two steps).
    private func finishedRequest(_ request: Request, inFile name: String) throws -> RequestRecord? {
        guard let record = try state.request(id: request.id), record.spoolFile == name, record.status != .active,
            record.contentHash == RequestPlanner.contentHash(request)
        else { return nil }
        return record
    }

    // MARK: - Claiming

    /// Lists pending/ (oldest first) into the backlog and claims its first chunk; returns whether more wait.
    @discardableResult
    func scan() throws -> Bool {
        let names = try spool.pendingNames()
        backlog.withLock { $0 = Backlog(names: names) }
        return try claimBacklog()
    }

    /// Claims and ingests the backlog's next chunk; returns whether more wait.
    @discardableResult
    func claimBacklog() throws -> Bool {
        try claim(backlog.withLock { $0.take(Self.chunk) })
        return hasBacklog
    }

    /// Whether files listed by the last scan wait to be claimed.
    var hasBacklog: Bool { backlog.withLock { !$0.isEmpty } }

    /// Claims and ingests the files inotify named.
    func scan(names: [String]) throws {
        try claim(names[...])
    }

    private func claim(_ candidates: ArraySlice<String>) throws {
        var claimed: [String] = []
        defer { if !claimed.isEmpty { try? spool.sync(.pending, .processing) } }
        defer { ingest(claimed) }
        for name in candidates {
            if name.hasPrefix(".") { continue }
            guard Spool.isValidName(name) else {
                refuse(
                    name,
                    from: .pending,
                    reason: "bad_name",
                    message: "only files named \(Spool.nameRule) are requests; this one is not read"
                )
                continue
            }
            switch try spool.claim(name) {
            case .claimed: claimed.append(name)
            case .vanished, .busy: continue
            }
        }
    }

    /// Reads, decodes and records claimed files in processing/, in one ledger transaction.
    func ingest(_ names: [String]) {
        record(names.compactMap { name in readRequest(name).map { ReadFile(name: name, decoded: $0) } })
    }

    /// A claimed file, read and decoded.
    private struct ReadFile {
        var name: String
        var decoded: RequestDecoder.Decoded
    }

    /// Reads and decodes a claimed file; a file that is not a valid request is refused (nil), and one that cannot
    /// be read for a reason of the system stays in processing/ to be retried (nil).
    private func readRequest(_ name: String) -> RequestDecoder.Decoded? {
        let bytes: [UInt8]
        do {
            bytes = try spool.read(name)
        } catch let rejection as SpoolRejection {
            refuse(name, from: .processing, reason: rejection.reason, message: rejection.message)
            return nil
        } catch let error as SpoolError where error.code == .notFound {
            return nil
        } catch {
            noteLocalFailure(file: name, "cannot read \(name)", error)
            return nil
        }
        let decoded: RequestDecoder.Decoded
        do {
            decoded = try RequestDecoder().decode(bytes)
        } catch {
            refuse(
                name,
                from: .processing,
                reason: error.reason.rawValue,
                message: error.description,
                field: error.field
            )
            return nil
        }
        return decoded
    }

    /// Records decoded requests in the ledger in one transaction (or finds them duplicates or conflicts), then
    /// wakes the stores once.
    private func record(_ files: [ReadFile]) {
        guard !files.isEmpty else { return }
        let settings = runtime.current
        var planned: [(file: ReadFile, plan: RequestPlanner.Plan, logger: Logger)] = []
        for file in files {
            let request = file.decoded.request
            var fileLogger = logger
            fileLogger[metadataKey: "spool.file"] = "\(file.name)"
            fileLogger[metadataKey: "wms.movement_id"] = "\(request.id)"
            for warning in file.decoded.warnings {
                fileLogger.warning(
                    "\(file.name): \(warning)",
                    metadata: ["message_id": MessageID.fileAccepted.metadataValue]
                )
            }
            do {
                let plan = try RequestPlanner(mapper: settings.mapper).plan(
                    request,
                    massZeroPercent: settings.config.massZeroPercent
                )
                planned.append((file, plan, fileLogger))
            } catch {
                refuse(file.name, from: .processing, reason: error.reason, message: error.message, id: request.id)
            }
        }
        let registrations: [Registration]
        do {
            registrations = try state.registerAll(
                planned.map { file, plan, _ in
                    let request = file.decoded.request
                    let lines = plan.lines
                    return NewRequest(
                        id: request.id,
                        contentHash: RequestPlanner.contentHash(request),
                        kind: request.kind,
                        file: file.name,
                        info: Self.info(warnings: file.decoded.warnings, missing: plan.missingFromSnapshot)
                    ) { lines }
                },
                now: runtime.now().timeIntervalSince1970,
                idempotencyWindow: settings.config.idempotencyWindowHours * 3_600
            )
        } catch {
            for (file, _, _) in planned {
                noteLocalFailure(file: file.name, "cannot record \(file.name) in the state database", error)
            }
            return
        }
        var work = false
        for ((file, plan, fileLogger), registration) in zip(planned, registrations) {
            recovered(file: file.name)
            work = recorded(file, plan: plan, registration, logger: fileLogger) || work
        }
        if work { runtime.ringStores() }
    }

    /// Acts on one file's registration; returns whether it gave the stores work.
    private func recorded(
        _ file: ReadFile,
        plan: RequestPlanner.Plan,
        _ registration: Registration,
        logger fileLogger: Logger
    ) -> Bool {
        let name = file.name
        let request = file.decoded.request
        switch registration {
        case .new:
            fileLogger.info(
                "accepted \(name): \(request.kind) \(request.id) with \(plan.lines.count) line targets",
                metadata: ["message_id": MessageID.fileAccepted.metadataValue]
            )
            logSkips(plan.lines, logger: fileLogger)
            return true
        case .resumed, .requeued:
            fileLogger.info(
                "\(registration == .resumed ? "resumed" : "requeued") \(name): \(request.kind) \(request.id)",
                metadata: ["message_id": MessageID.fileAccepted.metadataValue]
            )
            return true
        case .duplicate(let existingFile):
            var report = RequestReport(
                file: name,
                outcome: RequestVerdict.Outcome.duplicate.rawValue,
                finishedAt: runtime.now()
            )
            report.id = request.id
            report.kind = request.kind
            report.message = "movement \(request.id) was already applied (from \(existingFile)); applied once"
            complete(name, folder: .done, report: report, reason: "duplicate")
            return false
        case .conflict(let existingFile):
            refuse(
                name,
                from: .processing,
                reason: "id_conflict",
                message: "id \(request.id) was already used by \(existingFile) with other content",
                id: request.id
            )
            return false
        }
    }

    private func logSkips(_ lines: [LineRecord], logger: Logger) {
        for line in lines where line.state == .skipped {
            let store = line.ref.store.isEmpty ? "" : " for store \(line.ref.store)"
            logger.warning(
                "skipped SKU \(line.sku)\(store): \(line.reason?.rawValue ?? "skipped")",
                metadata: [
                    "message_id": MessageID.lineSkipped.metadataValue,
                    "shopify.sku": "\(line.sku)",
                    "shopify.store": "\(line.ref.store)",
                    "sync.outcome": "skipped",
                    "shopify.error_code": "\(line.reason?.rawValue ?? "")",
                ]
            )
        }
    }

    private static func info(warnings: [String], missing: [String: [String]]) -> String? {
        guard !warnings.isEmpty || !missing.isEmpty else { return nil }
        let object: [String: Any] = ["warnings": warnings, "missing_from_snapshot": missing]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            return nil
        }
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: - Refusing and finishing

    /// Sends a file that is not a valid request to failed/ with its reason, recording it first.
    func refuse(
        _ name: String,
        from folder: SpoolFolder,
        reason: String,
        message: String,
        field: String? = nil,
        id: String? = nil
    ) {
        var report = RequestReport(
            file: name,
            outcome: RequestVerdict.Outcome.refused.rawValue,
            finishedAt: runtime.now()
        )
        report.id = id
        report.reason = reason
        report.message = message
        report.field = field
        logger.error(
            "refused \(name): \(reason): \(message)",
            metadata: [
                "message_id": MessageID.fileRejected.metadataValue,
                "spool.file": "\(name)",
                "sync.outcome": "failed",
                "shopify.error_code": "\(reason)",
            ]
        )
        complete(name, folder: .failed, report: report, reason: reason, from: folder)
    }

    private func complete(
        _ name: String,
        folder: SpoolFolder,
        report: RequestReport,
        reason: String,
        from: SpoolFolder = .processing
    ) {
        do {
            try state.recordFileEvent(
                FileEvent(
                    name: name,
                    folder: folder.rawValue,
                    outcome: report.outcome,
                    reason: reason,
                    message: report.message,
                    at: runtime.now().timeIntervalSince1970
                )
            )
            _ = try spool.finish([Spool.Finish(name: name, from: from, to: folder, report: report.encoded())])
            recovered(file: name)
        } catch {
            // From processing/, the file is read and judged again; a file still in pending/ is found by the rescan.
            let retried = from == .processing ? name : nil
            noteLocalFailure(file: retried, "cannot move \(name) to \(folder.rawValue)/", error)
        }
    }

    /// Finishes every request with no open line left: ledger first, then the files, directories synced once.
    func finishCompleted() throws {
        let records = try state.completableRequests()
        guard !records.isEmpty else { return }
        var items: [(RequestRecord, [LineRecord])] = []
        let linesByRequest = try state.lines(requestIDs: records.map(\.id))
        for var record in records {
            let lines = linesByRequest[record.id] ?? []
            let verdict = RequestVerdict(lines: lines)
            record.status = verdict.done ? .done : .failed
            record.outcome = verdict.outcome.rawValue
            record.reason = verdict.reason
            record.message = verdict.message
            items.append((record, lines))
        }
        // The outcomes reach the disk, in one commit, before any file moves.
        try state.finishRequests(
            items.map { record, _ in
                RequestOutcome(
                    id: record.id,
                    status: record.status,
                    outcome: record.outcome ?? "applied",
                    reason: record.reason,
                    message: record.message
                )
            },
            now: runtime.now().timeIntervalSince1970
        )
        try finish(items)
    }

    /// Moves finished requests' files with their reports built from the ledger; the folders are fsynced once per
    /// batch, the reports together later (``syncReports()``): the ledger marks them until then.
    private func finish(_ items: [(record: RequestRecord, lines: [LineRecord])]) throws {
        var batch: [Spool.Finish] = []
        for (record, lines) in items {
            let report = Self.report(record, lines: lines, finishedAt: runtime.now())
            let folder: SpoolFolder = record.status == .failed ? .failed : .done
            batch.append(Spool.Finish(name: record.spoolFile, from: .processing, to: folder, report: report.encoded()))
            logFinished(record, report: report, folder: folder)
        }
        for chunk in stride(from: 0, to: batch.count, by: 256) {
            let end = min(chunk + 256, batch.count)
            do {
                unsyncedSince.withLock { $0 = $0 ?? .now }
                _ = try spool.finish(Array(batch[chunk..<end]), syncReports: false)
                for (record, _) in items[chunk..<end] { recovered(unmoved: record.id) }
            } catch {
                // The outcomes are in the ledger: the files are moved on once the disk lets them.
                for (record, _) in items[chunk..<end] {
                    noteLocalFailure(unmoved: record.id, "cannot move \(record.spoolFile) out of processing/", error)
                }
            }
        }
    }

    // MARK: - Local failures

    /// Keeps a file (or a finished request's file) for a retry with backoff; the first failure of an episode is
    /// logged, with its cause, and the rest counted until everything goes on again.
    private func noteLocalFailure(file: String? = nil, unmoved: String? = nil, _ what: String, _ error: any Error) {
        let first = local.withLock { local in
            if let file { local.files.insert(file) }
            if let unmoved { local.unmoved.insert(unmoved) }
            local.notBefore = .now + local.delay
            local.delay = min(local.delay * 2, .seconds(5))
            local.failures += 1
            return local.failures == 1
        }
        guard first else { return }
        logger.error(
            "\(what): \(error); it stays where it is and is retried (a fault of this machine, not of the file); further failures until it recovers are counted, not logged",
            metadata: [
                "message_id": MessageID.localFault.metadataValue,
                "spool.file": "\(file ?? "")",
                "error": "\(error)",
            ]
        )
    }

    private func recovered(file: String? = nil, unmoved: String? = nil) {
        let failures = local.withLock { local -> Int? in
            if let file { local.files.remove(file) }
            if let unmoved { local.unmoved.remove(unmoved) }
            guard local.isEmpty, local.failures > 0 else { return nil }
            defer {
                local.failures = 0
                local.delay = .milliseconds(250)
            }
            return local.failures
        }
        if let failures {
            logger.notice(
                "recovered from a local fault: everything kept goes on (\(failures) failed attempt(s))",
                metadata: ["message_id": MessageID.localFault.metadataValue]
            )
        }
    }

    /// Tries again what failed for a local reason, once its backoff has passed; the spool loop calls it on
    /// every turn.
    func retryLocalFailures() throws {
        let due = local.withLock { local -> (files: Set<String>, unmoved: Set<String>)? in
            guard !local.isEmpty, let notBefore = local.notBefore, notBefore <= .now else { return nil }
            defer {
                local.files = []
                local.unmoved = []
            }
            return (local.files, local.unmoved)
        }
        guard let due else { return }
        ingest(due.files.sorted())
        var items: [(RequestRecord, [LineRecord])] = []
        for id in due.unmoved.sorted() {
            guard let record = try state.request(id: id), record.status != .active else { continue }
            items.append((record, try state.lines(requestID: id)))
        }
        try finish(items)
    }

    private func logFinished(_ record: RequestRecord, report: RequestReport, folder: SpoolFolder) {
        let counts = report.counts ?? [:]
        let summary = counts.keys.sorted().map { "\($0) \(counts[$0] ?? 0)" }.joined(separator: ", ")
        let metadata: Logger.Metadata = [
            "message_id": (folder == .done ? MessageID.fileDone : MessageID.fileFailed).metadataValue,
            "spool.file": "\(record.spoolFile)",
            "wms.movement_id": "\(record.id)",
            "sync.outcome": "\(report.outcome)",
        ]
        if folder == .done {
            logger.info("\(record.spoolFile) done: \(report.outcome) (\(summary))", metadata: metadata)
        } else {
            logger.error("\(record.spoolFile) failed: \(report.message ?? "") (\(summary))", metadata: metadata)
        }
        if record.kind == "bulk_sync" {
            let figures =
                "written \(counts["applied"] ?? 0), equal \(counts["equal"] ?? 0), "
                + "skipped \(counts["skipped"] ?? 0), failed \(counts["failed"] ?? 0)"
            logger.notice(
                "bulk sync \(record.id): \(figures)",
                metadata: metadata.merging(["message_id": MessageID.bulkSyncSummary.metadataValue]) { $1 }
            )
        }
    }

    /// A finished request's report, from its ledger record and lines.
    static func report(_ record: RequestRecord, lines: [LineRecord], finishedAt: Date) -> RequestReport {
        var report = RequestReport(file: record.spoolFile, outcome: record.outcome ?? "applied", finishedAt: finishedAt)
        report.id = record.id
        report.kind = record.kind
        report.reason = record.reason
        report.message = record.message
        report.attempts = record.attempts
        report.receivedAt = RequestReport.timestamp(Date(timeIntervalSince1970: record.receivedAt))
        report.lines = lines.map(RequestReport.line)
        report.counts = RequestVerdict(lines: lines).counts
        if let info = record.info, let data = info.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        {
            let warnings = object["warnings"] as? [String] ?? []
            report.warnings = warnings.isEmpty ? nil : warnings
            let missing = object["missing_from_snapshot"] as? [String: [String]] ?? [:]
            report.missingFromSnapshot = missing.isEmpty ? nil : missing
        }
        return report
    }
}
