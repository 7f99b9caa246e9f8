import Glibc
import SystemPackage

extension Spool {
    /// One finished request: where it is, where it goes, and the report that goes with it.
    public struct Finish: Sendable, Hashable {
        /// The request's name in `from`.
        public var name: String
        /// The folder the request is in now (usually processing/).
        public var from: SpoolFolder
        /// done/ or failed/.
        public var to: SpoolFolder
        /// The report's bytes (JSON), written as NAME.result in done/ or NAME.error in failed/.
        public var report: [UInt8]

        public init(name: String, from: SpoolFolder, to: SpoolFolder, report: [UInt8]) {
            self.name = name
            self.from = from
            self.to = to
            self.report = report
        }
    }

    /// Finishes one request; see `finish(_:)` for the guarantees.
    @discardableResult
    public func finish(_ item: Finish) throws(SpoolError) -> String {
        try self.finish([item])[0]
    }

    /// Finishes a batch of requests, each to done/ or failed/ with its report, and returns their final names
    /// in order.
    ///
    /// For each item the report is written first (tmp/, fsync, rename into place), then the request is
    /// renamed next to it; both renames never replace. When the destination already holds NAME (or its
    /// report), the next free NAME.1, NAME.2, ... is used for both. Each touched folder is fsynced once, at
    /// the end of the batch. A crash leaves each request either where it was or finished with its report;
    /// at worst a report without its request remains in done/ or failed/.
    ///
    /// With `syncReports` false the reports are not fsynced one by one: a power cut may leave a report empty or
    /// cut short (its entry is on disk). The caller keeps what they say elsewhere, rewrites such reports at
    /// recovery (``finishedCopies(of:in:)``, ``rewriteReport(_:in:contents:)``) and makes them durable in one
    /// step with ``syncFilesystem()``.
    ///
    /// On an error the items before the failing one are finished (and their folders fsynced); the failing
    /// one and those after it are where they were.
    public func finish(_ batch: [Finish], syncReports: Bool = true) throws(SpoolError) -> [String] {
        var finalNames: [String] = []
        finalNames.reserveCapacity(batch.count)
        var touched: Set<SpoolFolder> = []
        do throws(SpoolError) {
            for item in batch {
                let finalName = try self.finishOne(item, syncReport: syncReports)
                touched.insert(item.from)
                touched.insert(item.to)
                finalNames.append(finalName)
            }
        } catch {
            try? self.sync(touched)
            throw error
        }
        try self.sync(touched)
        return finalNames
    }

    private func finishOne(_ item: Finish, syncReport: Bool) throws(SpoolError) -> String {
        guard let suffix = item.to.reportSuffix else {
            throw SpoolError(
                .invalidArgument,
                self.path(item.to),
                detail: "a request can only finish into done/ or failed/"
            )
        }
        try self.checkEntryName(item.name, in: item.from)
        let source = self.path(item.from, item.name)
        let sourceExists: Bool
        do {
            sourceExists = try Sys.exists(source)
        } catch {
            throw SpoolError(.stat, source, error)
        }
        guard sourceExists else {
            throw SpoolError(.notFound, source, .noSuchFileOrDirectory)
        }
        let base = Self.finishedBaseName(item.name, suffixLength: suffix.utf8.count)
        var report = try self.writeTemporary(name: base + suffix, contents: item.report, sync: syncReport)
        for attempt in 0..<10_000 {
            let candidate = Self.collisionName(base, attempt)
            let target = self.path(item.to, candidate)
            let reportTarget = self.path(item.to, candidate + suffix)
            do {
                if try Sys.exists(target) {
                    continue
                }
                if try Sys.exists(reportTarget) {
                    continue
                }
            } catch {
                self.discardReport(report)
                throw SpoolError(.stat, target, error)
            }
            do {
                try Sys.renameNoReplace(report, reportTarget)
            } catch .fileExists {
                continue
            } catch {
                self.discardReport(report)
                throw SpoolError(.rename, reportTarget, error)
            }
            report = reportTarget
            do {
                try Sys.renameNoReplace(source, target)
            } catch .fileExists {
                continue
            } catch {
                self.discardReport(report)
                throw SpoolError(error == .noSuchFileOrDirectory ? .notFound : .rename, source, error)
            }
            self.logger.debug(
                "finished",
                metadata: [
                    "spool.file": "\(item.name)", "spool.folder": "\(item.to.rawValue)",
                    "spool.final_name": "\(candidate)",
                ]
            )
            return candidate
        }
        self.discardReport(report)
        throw SpoolError(.alreadyExists, self.path(item.to, base), detail: "no free name among 10000 suffixes")
    }

    /// A request finished into done/ or failed/ under one of the names `finish` may give it, with its report's
    /// bytes (nil when the report is missing).
    public struct FinishedCopy: Sendable, Hashable {
        public var finalName: String
        public var report: [UInt8]?
    }

    /// The requests named `name` (or a collision name NAME.1, NAME.2, ...) in `folder`, with their reports,
    /// oldest name first; the search ends at the first name with neither a request nor a report.
    public func finishedCopies(of name: String, in folder: SpoolFolder) throws(SpoolError) -> [FinishedCopy] {
        guard let suffix = folder.reportSuffix else { return [] }
        try self.checkEntryName(name, in: folder)
        let base = Self.finishedBaseName(name, suffixLength: suffix.utf8.count)
        var copies: [FinishedCopy] = []
        for attempt in 0..<10_000 {
            let candidate = Self.collisionName(base, attempt)
            let request = self.path(folder, candidate)
            let report = self.path(folder, candidate + suffix)
            let requestExists: Bool
            let reportExists: Bool
            do {
                requestExists = try Sys.exists(request)
                reportExists = try Sys.exists(report)
            } catch {
                throw SpoolError(.stat, request, error)
            }
            if !requestExists && !reportExists { break }
            guard requestExists else { continue }
            copies.append(FinishedCopy(finalName: candidate, report: reportExists ? try self.readReport(report) : nil))
        }
        return copies
    }

    /// Replaces (or puts back) the report of the finished request `finalName` in `folder`, durably: written to
    /// tmp/, fsynced, renamed over the old one, the folder fsynced.
    public func rewriteReport(_ finalName: String, in folder: SpoolFolder, contents: [UInt8]) throws(SpoolError) {
        guard let suffix = folder.reportSuffix else {
            throw SpoolError(.invalidArgument, self.path(folder), detail: "only done/ and failed/ hold reports")
        }
        try self.checkEntryName(finalName + suffix, in: folder)
        let temporary = try self.writeTemporary(name: finalName + suffix, contents: contents)
        let target = self.path(folder, finalName + suffix)
        do {
            try Sys.rename(temporary, target)
        } catch {
            self.discardReport(temporary)
            throw SpoolError(.rename, target, error)
        }
        try self.sync([folder])
    }

    private func readReport(_ path: FilePath) throws(SpoolError) -> [UInt8] {
        do {
            let fd = try FileDescriptor.open(path, .readOnly, options: [.noFollow, .closeOnExec])
            defer { _ = try? fd.close() }
            // Unlike a request, a report has no size limit: a hard sync's lists every item.
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                let count = try chunk.withUnsafeMutableBytes { try fd.read(into: $0) }
                if count == 0 { return bytes }
                bytes.append(contentsOf: chunk[..<count])
            }
        } catch {
            throw SpoolError(.read, path, error as? Errno)
        }
    }

    /// NAME, then NAME.1, NAME.2, ...: the names a request may finish under, in the order they are tried.
    static func collisionName(_ base: String, _ attempt: Int) -> String {
        attempt == 0 ? base : "\(base).\(attempt)"
    }

    /// Removes a report whose request could not follow it.
    private func discardReport(_ path: FilePath) {
        do {
            try Sys.unlink(path)
        } catch {
            self.logger.warning(
                "cannot remove a report left without its request",
                metadata: ["spool.file": "\(path.string)", "error": "\(error)"]
            )
        }
    }

    /// The name a request is finished under: its own name, or, when the name plus a collision suffix and
    /// the report suffix would pass the 255-byte limit, a shortened name ending in a hash of the full one.
    static func finishedBaseName(_ name: String, suffixLength: Int) -> String {
        let limit = 255 - suffixLength - 6  // room for ".NNNNN"
        guard name.utf8.count > limit else {
            return name
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in name.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let tag = "~" + String(hash, radix: 16)
        var prefix = ""
        for character in name where prefix.utf8.count + character.utf8.count + tag.utf8.count <= limit {
            prefix.append(character)
        }
        return prefix + tag
    }

    // MARK: - Requeue

    /// Moves failed/NAME back to pending/NAME without replacing, then removes failed/NAME.error.
    ///
    /// Throws `not_found` when failed/NAME does not exist and `already_exists` when pending/NAME does.
    /// pending/ and failed/ are fsynced before it returns.
    public func requeue(_ name: String) throws(SpoolError) {
        try self.checkEntryName(name, in: .failed)
        let source = self.path(.failed, name)
        do {
            try Sys.renameNoReplace(source, self.path(.pending, name))
        } catch .noSuchFileOrDirectory {
            throw SpoolError(.notFound, source, .noSuchFileOrDirectory)
        } catch .fileExists {
            throw SpoolError(.alreadyExists, self.path(.pending, name), .fileExists)
        } catch {
            throw SpoolError(.rename, source, error)
        }
        let report = self.path(.failed, name + (SpoolFolder.failed.reportSuffix ?? ""))
        do {
            try Sys.unlink(report)
        } catch .noSuchFileOrDirectory {
        } catch {
            throw SpoolError(.remove, report, error)
        }
        try self.sync([.pending, .failed])
        self.logger.info("requeued", metadata: ["spool.file": "\(name)"])
    }
}
