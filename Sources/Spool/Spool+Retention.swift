import Foundation
import SystemPackage

extension Spool {
    /// Removes the finished requests in done/ (with their `.result` reports) finished before `cutoff`, and
    /// reports left without their request that are older than `cutoff`; returns how many requests it removed.
    ///
    /// A request's age is the newer of its own modification time and its report's (the report is written
    /// when the request finishes), so a request that waited long in pending/ is kept for the full retention.
    /// This is the only place the spool deletes requests. done/ is fsynced once at the end.
    public func removeDone(olderThan cutoff: Date) throws(SpoolError) -> Int {
        let folder = self.path(.done)
        let entries: [Sys.DirectoryEntry]
        do {
            entries = try Sys.listDirectory(folder, withModificationTimes: true)
        } catch {
            throw SpoolError(.listFolder, folder, error)
        }
        var modified: [String: Int64] = [:]
        for entry in entries {
            if let name = entry.name, let time = entry.modified {
                modified[name] = time
            }
        }
        let suffix = SpoolFolder.done.reportSuffix ?? ".result"
        let (requests, orphanReports) = Self.classify(modified.keys.sorted(), reportSuffix: suffix)
        let cutoffNanoseconds = cutoff.timeIntervalSince1970 * 1e9
        func isOld(_ names: String...) -> Bool {
            let newest = names.compactMap { modified[$0] }.max() ?? Int64.max
            return Double(newest) < cutoffNanoseconds
        }

        var removed = 0
        do throws(SpoolError) {
            for request in requests where isOld(request.name, request.name + suffix) {
                guard try self.remove(.done, request.name) else {
                    continue
                }
                removed += 1
                if request.hasReport {
                    try self.remove(.done, request.name + suffix)
                }
            }
            for report in orphanReports where isOld(report) {
                try self.remove(.done, report)
            }
        } catch {
            try? self.sync([.done])
            throw error
        }
        try self.sync([.done])
        if removed > 0 {
            self.logger.info("removed finished requests past retention", metadata: ["spool.removed": "\(removed)"])
        }
        return removed
    }

    /// Removes FOLDER/NAME; returns false when it was not removed because it is a folder (logged), or was
    /// already gone.
    @discardableResult
    private func remove(_ folder: SpoolFolder, _ name: String) throws(SpoolError) -> Bool {
        let path = self.path(folder, name)
        do {
            try Sys.unlink(path)
            return true
        } catch .noSuchFileOrDirectory {
            return false
        } catch .isDirectory {
            // Not something the spool put there: leave it, and do not let it stop retention.
            self.logger.warning("a folder in done/ is left alone by retention", metadata: ["spool.file": "\(name)"])
            return false
        } catch {
            throw SpoolError(.remove, path, error)
        }
    }
}
