import Foundation
import SystemPackage

extension Spool {
    /// The requests in each folder and the age of the oldest pending one.
    ///
    /// Reports are not counted, nor names beginning with "." in pending/.
    public func counts(now: Date) throws(SpoolError) -> SpoolCounts {
        let pendingPath = self.path(.pending)
        let pending: [Sys.DirectoryEntry]
        do {
            pending = try Sys.listDirectory(pendingPath, withModificationTimes: true).filter {
                $0.rawName.first != 0x2E
            }
        } catch {
            throw SpoolError(.listFolder, pendingPath, error)
        }
        var oldestPendingAge: Double?
        if let oldest = pending.compactMap(\.modified).min() {
            let nowNanoseconds = now.timeIntervalSince1970 * 1e9
            oldestPendingAge = max(0, (nowNanoseconds - Double(oldest)) / 1e9)
        }
        return SpoolCounts(
            pending: pending.count,
            processing: try self.names(in: .processing).count,
            done: try self.requests(in: .done).requests.count,
            failed: try self.requests(in: .failed).requests.count,
            oldestPendingAge: oldestPendingAge
        )
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
