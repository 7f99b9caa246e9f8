import Foundation
import Glibc
import Spool
import SystemPackage
import TestSupport
import Testing

@Suite("Spool: finishing, requeueing, submitting, retention, counts")
struct SpoolFinishTests {
    // MARK: - finish()

    @Test func finishToDoneWritesTheResultNextToTheRequest() throws {
        try withTemporarySpool { spool throws in
            try spool.place(.processing, "a.json", "{\"id\":\"a\"}")
            let names = try spool.finish([
                Spool.Finish(
                    name: "a.json",
                    from: .processing,
                    to: .done,
                    report: Array("{\"outcome\":\"applied\"}".utf8)
                )
            ])
            #expect(names == ["a.json"])
            #expect(try spool.names(in: .processing).isEmpty)
            #expect(try spool.names(in: .done) == ["a.json", "a.json.result"])
            #expect(try spool.contents(.done, "a.json") == Array("{\"id\":\"a\"}".utf8))
            #expect(try spool.contents(.done, "a.json.result") == Array("{\"outcome\":\"applied\"}".utf8))
            #expect(try spool.names(in: .tmp).isEmpty)
        }
    }

    @Test func finishToFailedWritesTheErrorReport() throws {
        try withTemporarySpool { spool throws in
            try spool.place(.pending, "bad name.json", "{}")
            let name = try spool.finish(
                Spool.Finish(
                    name: "bad name.json",
                    from: .pending,
                    to: .failed,
                    report: Array("{\"reason\":\"bad_name\"}".utf8)
                )
            )
            #expect(name == "bad name.json")
            #expect(try spool.names(in: .pending).isEmpty)
            #expect(try spool.names(in: .failed) == ["bad name.json", "bad name.json.error"])
            #expect(try spool.contents(.failed, "bad name.json.error") == Array("{\"reason\":\"bad_name\"}".utf8))
        }
    }

    @Test func finishNeverOverwritesAndTheReportFollowsTheName() throws {
        try withTemporarySpool { spool throws in
            for round in 0..<3 {
                try spool.submit(name: "a.json", contents: Array("round \(round)".utf8))
                #expect(try spool.claim("a.json") == .claimed)
                _ = try spool.finish([
                    Spool.Finish(name: "a.json", from: .processing, to: .done, report: Array("report \(round)".utf8))
                ])
            }
            // A report left alone (a crash between the two renames) also keeps its name taken.
            try spool.place(.done, "b.json.result", "orphan")
            try spool.place(.processing, "b.json", "b")
            let final = try spool.finish(Spool.Finish(name: "b.json", from: .processing, to: .done, report: [0x31]))

            #expect(final == "b.json.1")
            #expect(
                try spool.names(in: .done) == [
                    "a.json", "a.json.1", "a.json.1.result", "a.json.2", "a.json.2.result", "a.json.result",
                    "b.json.1", "b.json.1.result", "b.json.result",
                ]
            )
            for round in 0..<3 {
                let name = round == 0 ? "a.json" : "a.json.\(round)"
                #expect(try spool.contents(.done, name) == Array("round \(round)".utf8))
                #expect(try spool.contents(.done, name + ".result") == Array("report \(round)".utf8))
            }
            #expect(try spool.contents(.done, "b.json.result") == Array("orphan".utf8))
        }
    }

    @Test func finishABatchReturnsEachFinalName() throws {
        try withTemporarySpool { spool throws in
            try spool.place(.done, "x.json", "earlier")
            for name in ["x.json", "y.json", "z.json"] {
                try spool.place(.processing, name, name)
            }
            let names = try spool.finish([
                Spool.Finish(name: "x.json", from: .processing, to: .done, report: []),
                Spool.Finish(name: "y.json", from: .processing, to: .failed, report: []),
                Spool.Finish(name: "z.json", from: .processing, to: .done, report: []),
            ])
            #expect(names == ["x.json.1", "y.json", "z.json"])
            #expect(try spool.names(in: .processing).isEmpty)
            #expect(try spool.counts(now: Date()).done == 3)
            #expect(try spool.counts(now: Date()).failed == 1)
        }
    }

    @Test func finishedCopiesFindEveryNameAndRewriteReportReplacesOne() throws {
        try withTemporarySpool { spool throws in
            for (round, report) in ["first", "", "third"].enumerated() {
                try spool.place(.processing, "a.json", "round \(round)")
                _ = try spool.finish(
                    [Spool.Finish(name: "a.json", from: .processing, to: .done, report: Array(report.utf8))],
                    syncReports: false
                )
            }
            // A report left without its request keeps its name taken; the search goes past it.
            try spool.place(.done, "a.json.3.result", "orphan")
            try spool.place(.done, "a.json.4", "round 4")
            try spool.place(.done, "a.json.6", "past a gap: not found")
            let copies = try spool.finishedCopies(of: "a.json", in: .done)
            #expect(copies.map(\.finalName) == ["a.json", "a.json.1", "a.json.2", "a.json.4"])
            #expect(
                copies.map { $0.report.map { String(decoding: $0, as: UTF8.self) } } == ["first", "", "third", nil]
            )
            #expect(try spool.finishedCopies(of: "other.json", in: .done).isEmpty)

            try spool.rewriteReport("a.json.1", in: .done, contents: Array("second".utf8))
            try spool.rewriteReport("a.json.4", in: .done, contents: Array("fourth".utf8))
            #expect(try spool.contents(.done, "a.json.1.result") == Array("second".utf8))
            #expect(try spool.contents(.done, "a.json.4.result") == Array("fourth".utf8))
            #expect(try spool.names(in: .tmp).isEmpty)
            #expect(throws: SpoolError.self) {
                try spool.rewriteReport("a.json", in: .processing, contents: [])
            }
            try spool.syncFilesystem()
        }
    }

    @Test func finishOfAMissingFileLeavesNoReportBehind() throws {
        try withTemporarySpool { spool throws in
            let error = #expect(throws: SpoolError.self) {
                try spool.finish(Spool.Finish(name: "gone.json", from: .processing, to: .done, report: [1]))
            }
            #expect(error?.code == .notFound)
            #expect(try spool.names(in: .done).isEmpty)
            #expect(try spool.names(in: .tmp).isEmpty)
        }
    }

    @Test(arguments: [SpoolFolder.tmp, .pending, .processing])
    func finishOnlyIntoDoneOrFailed(_ destination: SpoolFolder) throws {
        try withTemporarySpool { spool throws in
            try spool.place(.processing, "a.json", "{}")
            let error = #expect(throws: SpoolError.self) {
                try spool.finish(Spool.Finish(name: "a.json", from: .processing, to: destination, report: []))
            }
            #expect(error?.code == .invalidArgument)
            #expect(try spool.names(in: .processing) == ["a.json"])
        }
    }

    @Test func aNameTooLongForItsReportIsShortened() throws {
        try withTemporarySpool { spool throws in
            let long = String(repeating: "n", count: 250)
            try spool.place(.pending, long, "{}")
            let final = try spool.finish(Spool.Finish(name: long, from: .pending, to: .failed, report: [1]))
            #expect(final != long)
            #expect(final.hasPrefix("nnnn"))
            #expect(final.utf8.count + ".error".utf8.count + 6 <= 255)
            #expect(try spool.names(in: .failed) == [final, final + ".error"])
        }
    }

    // MARK: - requeue()

    @Test func requeueMovesAFailedFileBackAndDropsItsReport() throws {
        try withTemporarySpool { spool throws in
            try spool.place(.processing, "a.json", "{}")
            try spool.finish(Spool.Finish(name: "a.json", from: .processing, to: .failed, report: [1]))

            try spool.requeue("a.json")

            #expect(try spool.names(in: .failed).isEmpty)
            #expect(try spool.pendingNames() == ["a.json"])
        }
    }

    @Test func requeueNeverReplacesAPendingFile() throws {
        try withTemporarySpool { spool throws in
            try spool.place(.failed, "a.json", "old")
            try spool.place(.failed, "a.json.error", "{}")
            try spool.place(.pending, "a.json", "new")

            let error = #expect(throws: SpoolError.self) { try spool.requeue("a.json") }

            #expect(error?.code == .alreadyExists)
            #expect(try spool.contents(.pending, "a.json") == Array("new".utf8))
            #expect(try spool.names(in: .failed) == ["a.json", "a.json.error"])
        }
    }

    @Test func requeueOfAMissingFileIsNotFound() throws {
        try withTemporarySpool { spool throws in
            let error = #expect(throws: SpoolError.self) { try spool.requeue("gone.json") }
            #expect(error?.code == .notFound)
            #expect(error?.errno == .noSuchFileOrDirectory)
        }
    }

    // MARK: - submit()

    @Test func submitPlacesTheWholeFileWithOneRename() throws {
        try withTemporarySpool { spool throws in
            // Watch pending/ for every way a file can appear in it.
            let watcher = inotify_init1(CInt(IN_NONBLOCK | IN_CLOEXEC))
            #expect(watcher >= 0)
            defer { close(watcher) }
            let mask = UInt32(IN_CREATE) | UInt32(IN_MODIFY) | UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO)
            #expect(inotify_add_watch(watcher, spool.path(.pending).string, mask) >= 0)

            let contents = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try spool.submit(name: "big.json", contents: contents)

            var events: [(mask: UInt32, name: String)] = []
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            let count = buffer.withUnsafeMutableBytes { read(watcher, $0.baseAddress, $0.count) }
            #expect(count > 0)
            buffer.withUnsafeBytes { raw in
                var offset = 0
                while offset + 16 <= max(count, 0) {
                    let eventMask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let name = raw[(offset + 16)..<(offset + 16 + length)].prefix { $0 != 0 }
                    events.append((eventMask, String(decoding: name, as: UTF8.self)))
                    offset += 16 + length
                }
            }
            // The file was never created, written or closed in pending/: it arrived whole.
            #expect(events.map(\.name) == ["big.json"])
            #expect(events.map(\.mask) == [UInt32(IN_MOVED_TO)])
            #expect(try spool.contents(.pending, "big.json") == contents)
            #expect(try spool.names(in: .tmp).isEmpty)
        }
    }

    @Test func submitNeverReplaces() throws {
        try withTemporarySpool { spool throws in
            try spool.place(.pending, "a.json", "first")
            let error = #expect(throws: SpoolError.self) {
                try spool.submit(name: "a.json", contents: Array("second".utf8))
            }
            #expect(error?.code == .alreadyExists)
            #expect(error?.errno == .fileExists)
            #expect(try spool.contents(.pending, "a.json") == Array("first".utf8))
            #expect(try spool.names(in: .tmp).isEmpty)
        }
    }

    @Test(arguments: [".hidden.json", "a/b.json", "bad name.json", ""])
    func submitRefusesBadNames(_ name: String) throws {
        try withTemporarySpool { spool throws in
            let error = #expect(throws: SpoolError.self) { try spool.submit(name: name, contents: []) }
            #expect(error?.code == .invalidName)
            #expect(try spool.names(in: .pending).isEmpty)
            #expect(try spool.names(in: .tmp).isEmpty)
        }
    }

    // MARK: - removeDone()

    @Test func removeDoneRemovesOnlyWhatFinishedBeforeTheCutoff() throws {
        try withTemporarySpool { spool throws in
            let now = Date()
            let old = now - 15 * 86_400
            // old request, old report: removed
            try spool.place(.done, "old.json", "{}")
            try spool.place(.done, "old.json.result", "{}")
            try spool.setModified(.done, "old.json", to: old)
            try spool.setModified(.done, "old.json.result", to: old)
            // old request (waited long in pending/) but finished recently: kept
            try spool.place(.done, "late.json", "{}")
            try spool.place(.done, "late.json.result", "{}")
            try spool.setModified(.done, "late.json", to: old)
            // recent: kept
            try spool.place(.done, "new.json", "{}")
            try spool.place(.done, "new.json.result", "{}")
            // an old request without its report: removed
            try spool.place(.done, "lone.json", "{}")
            try spool.setModified(.done, "lone.json", to: old)
            // an old report without its request: removed, not counted
            try spool.place(.done, "orphan.json.result", "{}")
            try spool.setModified(.done, "orphan.json.result", to: old)
            // a folder someone made in done/: left alone, and retention goes on
            #expect(mkdir(spool.path(.done, "folder.json").string, 0o700) == 0)
            try spool.setModified(.done, "folder.json", to: old)
            // failed/ is never touched by retention
            try spool.place(.failed, "failed.json", "{}")
            try spool.setModified(.failed, "failed.json", to: old)

            let removed = try spool.removeDone(olderThan: now - 14 * 86_400)

            #expect(removed == 2)
            #expect(
                try spool.names(in: .done) == [
                    "folder.json", "late.json", "late.json.result", "new.json", "new.json.result",
                ]
            )
            #expect(try spool.names(in: .failed) == ["failed.json"])
            #expect(try spool.removeDone(olderThan: now - 14 * 86_400) == 0)
        }
    }

    // MARK: - counts()

    @Test func countsCountRequestsAndTheOldestPendingAge() throws {
        try withTemporarySpool { spool throws in
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            try spool.place(.pending, "a.json", "{}")
            try spool.place(.pending, "b.json", "{}")
            try spool.place(.pending, ".c.json", "{}")
            try spool.setModified(.pending, "a.json", to: now - 50)
            try spool.setModified(.pending, "b.json", to: now - 125.5)
            try spool.setModified(.pending, ".c.json", to: now - 1000)
            try spool.place(.processing, "p.json", "{}")
            try spool.place(.done, "d.json", "{}")
            try spool.place(.done, "d.json.result", "{}")
            try spool.place(.done, "d.json.1", "{}")
            try spool.place(.done, "d.json.1.result", "{}")
            try spool.place(.failed, "f.json", "{}")
            try spool.place(.failed, "f.json.error", "{}")

            let counts = try spool.counts(now: now)
            #expect(try spool.requestNames(in: .done) == ["d.json", "d.json.1"])
            #expect(try spool.requestNames(in: .failed) == ["f.json"])

            #expect(counts.pending == 2)
            #expect(counts.processing == 1)
            #expect(counts.done == 2)
            #expect(counts.failed == 1)
            let age = try #require(counts.oldestPendingAge)
            #expect(abs(age - 125.5) < 0.01)
        }
    }

    @Test func countsOfAnEmptySpool() throws {
        try withTemporarySpool { spool throws in
            #expect(
                try spool.counts(now: Date())
                    == SpoolCounts(pending: 0, processing: 0, done: 0, failed: 0, oldestPendingAge: nil)
            )
        }
    }

    @Test func countsEncodeAsJSON() throws {
        let counts = SpoolCounts(pending: 1, processing: 2, done: 3, failed: 4, oldestPendingAge: 1.5)
        let decoded = try JSONDecoder().decode(SpoolCounts.self, from: JSONEncoder().encode(counts))
        #expect(decoded == counts)
    }
}
