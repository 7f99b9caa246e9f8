import Foundation
import Glibc
import Spool
import SystemPackage
import TestSupport
import Testing

@Suite("PendingEvents: inotify on pending/")
struct PendingEventsTests {
    @Test(.timeLimit(.minutes(1)))
    func seesRenamesInAndFilesClosedAfterWriting() async throws {
        try await withTemporarySpool { spool async throws in
            let events = try spool.pendingEvents()
            // Written in place under a hidden name, then renamed: only the final name is reported.
            try spool.place(.pending, ".partial.json", "{}")
            #expect(
                rename(spool.path(.pending, ".partial.json").string, spool.path(.pending, "renamed.json").string) == 0
            )
            // Written in place (IN_CLOSE_WRITE).
            try spool.place(.pending, "written.json", "{}")
            // Submitted through tmp/ (IN_MOVED_TO).
            try spool.submit(name: "submitted.json", contents: [0x7B, 0x7D])
            // Not reported: a file closed without writing, a folder created, a file elsewhere.
            let fd = open(spool.path(.pending, "written.json").string, O_RDONLY | O_CLOEXEC)
            close(fd)
            try spool.place(.done, "elsewhere.json", "{}")
            try spool.place(.pending, "last.json", "{}")

            var seen: [PendingEvents.PendingEvent] = []
            for await event in events {
                seen.append(event)
                if event == .file("last.json") {
                    break
                }
            }
            #expect(
                seen == [.file("renamed.json"), .file("written.json"), .file("submitted.json"), .file("last.json")]
            )
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellationEndsAWaitingIteration() async throws {
        try await withTemporarySpool { spool async throws in
            let events = try PendingEvents(directory: spool.path(.pending))
            let waiter = Task {
                var count = 0
                for await _ in events {
                    count += 1
                }
                return count
            }
            waiter.cancel()
            // The blocked read wakes up and the loop ends without any file arriving.
            #expect(await waiter.value == 0)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellationWakesAReadThatIsBlocked() async throws {
        try await withTemporarySpool { spool async throws in
            let events = try PendingEvents(directory: spool.path(.pending))
            let (firstSeen, firstSeenContinuation) = AsyncStream<Void>.makeStream()
            let waiter = Task {
                var seen: [PendingEvents.PendingEvent] = []
                for await event in events {
                    seen.append(event)
                    firstSeenContinuation.yield()
                }
                return seen
            }
            try spool.place(.pending, "one.json", "{}")
            var iterator = firstSeen.makeAsyncIterator()
            _ = await iterator.next()
            // The iteration is now waiting for a second event that never comes.
            waiter.cancel()
            #expect(await waiter.value == [.file("one.json")])
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func iterationEndsWhenTheFolderIsRemoved() async throws {
        try await withTemporarySpool { spool async throws in
            let folder = spool.root.appending("watched")
            #expect(mkdir(folder.string, 0o700) == 0)
            let events = try PendingEvents(directory: folder)
            #expect(rmdir(folder.string) == 0)
            var count = 0
            for await _ in events {
                count += 1
            }
            #expect(count == 0)
        }
    }

    @Test func watchingAMissingFolderFails() throws {
        try withTemporarySpool { spool throws in
            let missing = spool.root.appending("missing")
            let error = #expect(throws: SpoolError.self) { try PendingEvents(directory: missing) }
            #expect(error?.code == .watch)
            #expect(error?.errno == .noSuchFileOrDirectory)
            #expect(error?.path == missing.string)

            try spool.place(.tmp, "file", "")
            let notFolder = #expect(throws: SpoolError.self) { try PendingEvents(directory: spool.path(.tmp, "file")) }
            #expect(notFolder?.errno == .notDirectory)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aFullKernelQueueIsReportedAsOverflow() async throws {
        let limit = try queuedEventsLimit()
        try await withTemporarySpool { spool async throws in
            let events = try PendingEvents(directory: spool.path(.pending))
            // More files than the kernel queues events for, while nobody reads.
            let fileCount = limit + 2_000
            let folder = spool.path(.pending).string
            for index in 0..<fileCount {
                let fd = open("\(folder)/f\(index).json", O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
                try #require(fd >= 0)
                close(fd)
            }

            var files = 0
            var overflowed = false
            for await event in events {
                switch event {
                case .file: files += 1
                case .overflow: overflowed = true
                }
                if overflowed {
                    break
                }
            }
            #expect(overflowed)
            // Up to the limit, events came one per file; then the queue overflowed.
            #expect(files <= limit)
            #expect(files > 0)
            // The rescan the overflow calls for finds every file.
            #expect(try spool.pendingNames().count == fileCount)
        }
    }
}

/// fs.inotify.max_queued_events (16384 by default).
func queuedEventsLimit() throws -> Int {
    let text = try String(contentsOfFile: "/proc/sys/fs/inotify/max_queued_events", encoding: .utf8)
    return try #require(Int(text.trimmingCharacters(in: .whitespacesAndNewlines)))
}
