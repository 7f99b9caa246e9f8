import Foundation
import SystemPackage

extension Spool {
    /// The requests in each folder and the age of the oldest pending one.
    ///
    /// Reports are not counted (in done/ and failed/ a name ending in the folder's report suffix is a report),
    /// nor names beginning with "." in pending/. The folders are read entry by entry and nothing is kept, so
    /// counting a spool of any size costs no memory (the daemon does it once a second).
    public func counts(now: Date) throws(SpoolError) -> SpoolCounts {
        var pending = 0
        var oldest: Int64?
        try self.forEachEntry(.pending, withModificationTimes: true) { name, modified in
            guard name.first != 0x2E else { return }
            pending += 1
            if let modified { oldest = min(oldest ?? modified, modified) }
        }
        var oldestPendingAge: Double?
        if let oldest {
            let nowNanoseconds = now.timeIntervalSince1970 * 1e9
            oldestPendingAge = max(0, (nowNanoseconds - Double(oldest)) / 1e9)
        }
        var processing = 0
        try self.forEachEntry(.processing, withModificationTimes: false) { _, _ in processing += 1 }
        return SpoolCounts(
            pending: pending,
            processing: processing,
            done: try self.countRequests(in: .done),
            failed: try self.countRequests(in: .failed),
            oldestPendingAge: oldestPendingAge
        )
    }

    private func countRequests(in folder: SpoolFolder) throws(SpoolError) -> Int {
        let suffix = Array((folder.reportSuffix ?? "").utf8).map { CChar(bitPattern: $0) }
        var count = 0
        try self.forEachEntry(folder, withModificationTimes: false) { name, _ in
            if suffix.isEmpty || name.count <= suffix.count || !name.reversed().starts(with: suffix.reversed()) {
                count += 1
            }
        }
        return count
    }

    private func forEachEntry(
        _ folder: SpoolFolder,
        withModificationTimes: Bool,
        _ body: (UnsafeBufferPointer<CChar>, Int64?) -> Void
    ) throws(SpoolError) {
        let path = self.path(folder)
        do {
            try Sys.forEachEntry(path, withModificationTimes: withModificationTimes, body)
        } catch {
            throw SpoolError(.listFolder, path, error)
        }
    }

    /// The requests in a folder, without the reports next to them (`.result` in done/, `.error` in failed/),
    /// sorted by name. A report whose request is gone is not listed.
    public func requestNames(in folder: SpoolFolder) throws(SpoolError) -> [String] {
        try self.requests(in: folder).requests.map(\.name)
    }

    /// The requests of done/ or failed/ (with whether each has its report) and the reports without their
    /// request.
    func requests(
        in folder: SpoolFolder
    ) throws(SpoolError) -> (requests: [(name: String, hasReport: Bool)], orphanReports: [String]) {
        let names = try self.names(in: folder)
        guard let suffix = folder.reportSuffix else {
            return (names.map { ($0, false) }, [])
        }
        return Self.classify(names, reportSuffix: suffix)
    }

    /// Tells requests from reports: NAME is a request with a report when NAME+suffix exists; a name ending
    /// in the suffix is the report of the name without it when that exists, and an orphan report otherwise.
    static func classify(
        _ names: [String],
        reportSuffix suffix: String
    ) -> (requests: [(name: String, hasReport: Bool)], orphanReports: [String]) {
        let all = Set(names)
        var requests: [(name: String, hasReport: Bool)] = []
        var orphanReports: [String] = []
        for name in names {
            if all.contains(name + suffix) {
                requests.append((name, true))
            } else if name.hasSuffix(suffix) && name.utf8.count > suffix.utf8.count {
                if !all.contains(String(name.dropLast(suffix.count))) {
                    orphanReports.append(name)
                }
            } else {
                requests.append((name, false))
            }
        }
        return (requests, orphanReports)
    }
}
