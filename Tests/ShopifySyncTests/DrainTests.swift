import Foundation
import ShopifySimulator
import TestSupport
import Testing

/// Volume: thousands of files at once, through the real daemon.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct DrainTests {
    /// At least 10,000, and more than the kernel's inotify queue holds, so that the queue overflows.
    static let fileCount: Int = {
        if let count = Int(ProcessInfo.processInfo.environment["DRAIN_FILES"] ?? "") { return count }
        let queue =
            (try? String(contentsOfFile: "/proc/sys/fs/inotify/max_queued_events", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 16_384
        return max(10_000, queue + 500)
    }()

    /// The daemon's peak resident memory (VmHWM) in KiB.
    static func peakRSS(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

    @Test("over 10,000 files, more than inotify can queue, are all drained by the rescan, once, in bounded memory")
    func drainThousands() async throws {
        try await DaemonSystemdTests.withWorld(skus: ["A-1", "A-2", "GONE"]) { simulator, directory in
            let daemon = try ChildDaemon(
                config: "\(directory)/config.toml",
                logPath: "\(directory)/daemon.log",
                environment: ["SHOPIFY_SYNC_JOURNAL_SOCKET": "\(directory)/no-journal"]
            )
            while !FileManager.default.fileExists(atPath: "\(directory)/spool/done") {
                try await Task.sleep(for: .milliseconds(20))
            }
            try await Task.sleep(for: .milliseconds(300))
            // Stopped, the daemon reads no events while the files arrive: the kernel's queue overflows.
            daemon.signal(SIGSTOP)
            let start = ContinuousClock.now
            let count = Self.fileCount
            try await offCooperativePool {
                for index in 0..<count {
                    let sku = index % 2 == 0 ? "A-1" : "A-2"
                    try DaemonSystemdTests.drop(
                        directory,
                        "f\(index).json",
                        movement("f-\(index)", "receipt", [(sku, nil, 1)])
                    )
                }
            }
            daemon.signal(SIGCONT)
            let dropped = ContinuousClock.now - start
            var remaining = Self.fileCount
            let deadline = ContinuousClock.now + .seconds(500)
            var peak = 0
            while remaining > 0 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(250))
                peak = max(peak, Self.peakRSS(daemon.pid) ?? 0)
                let pending = try FileManager.default.contentsOfDirectory(atPath: "\(directory)/spool/pending").count
                let processing = try FileManager.default.contentsOfDirectory(atPath: "\(directory)/spool/processing")
                    .count
                remaining = pending + processing
            }
            let drained = ContinuousClock.now - start
            peak = max(peak, Self.peakRSS(daemon.pid) ?? 0)
            daemon.signal(SIGTERM)
            #expect(await daemon.waitForExit(timeout: .seconds(35)) == 0)
            #expect(remaining == 0, "not drained; log tail:\n\(daemon.log.suffix(2000))")
            let done = try FileManager.default.contentsOfDirectory(atPath: "\(directory)/spool/done").filter {
                !$0.hasSuffix(".result")
            }
            #expect(done.count == Self.fileCount)
            let half = Self.fileCount / 2
            let a1 = await simulator.state.quantities(
                shop: "main",
                item: "gid://shopify/InventoryItem/7000",
                location: "gid://shopify/Location/1"
            )
            let a2 = await simulator.state.quantities(
                shop: "main",
                item: "gid://shopify/InventoryItem/7001",
                location: "gid://shopify/Location/1"
            )
            #expect(a1?.onHand == 5 + (Self.fileCount - half))
            #expect(a2?.onHand == 5 + half)
            // A generous bound that still catches memory growing with the number of files.
            #expect(peak < 512 * 1024, "peak RSS \(peak) KiB")
            #expect(
                daemon.log.contains("inotify queue overflowed"),
                "no overflow; log tail:\n\(daemon.log.suffix(1500))"
            )
            print("drained \(Self.fileCount) files in \(drained) (dropped in \(dropped)); daemon peak RSS \(peak) KiB")
        }
    }

    @Test("a backlog of 3,000 files waiting at start is all done, once; how many still wait when the first is done")
    func backlogStreams() async throws {
        try await DaemonSystemdTests.withWorld(skus: ["A-1", "A-2", "GONE"]) { simulator, directory in
            let count = 3_000
            try await offCooperativePool {
                for index in 0..<count {
                    try DaemonSystemdTests.drop(
                        directory,
                        "b\(index).json",
                        movement("b-\(index)", "receipt", [(index % 2 == 0 ? "A-1" : "A-2", nil, 1)])
                    )
                }
            }
            let start = ContinuousClock.now
            let daemon = try ChildDaemon(
                config: "\(directory)/config.toml",
                logPath: "\(directory)/daemon.log",
                environment: ["SHOPIFY_SYNC_JOURNAL_SOCKET": "\(directory)/no-journal"]
            )
            defer { daemon.signal(SIGKILL) }
            let spool = "\(directory)/spool"
            var waitingAtFirst: Int?
            var firstDone: Duration?
            let deadline = ContinuousClock.now + .seconds(300)
            var finished = 0
            while finished < count && ContinuousClock.now < deadline {
                let done = (try? FileManager.default.contentsOfDirectory(atPath: "\(spool)/done")) ?? []
                finished = done.filter { $0.hasSuffix(".result") }.count
                if finished > 0 && firstDone == nil {
                    firstDone = start.duration(to: .now)
                    waitingAtFirst =
                        ((try? FileManager.default.contentsOfDirectory(atPath: "\(spool)/pending")) ?? [])
                        .count
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(finished == count, "\(finished) of \(count) done; log tail:\n\(daemon.log.suffix(1500))")
            // How many still wait when the first is done depends on the machine's load (0 before chunks, when
            // every file was claimed and recorded first); the chunks themselves are checked in WorkerSeamTests.
            for (sku, item) in [("A-1", "7000"), ("A-2", "7001")] {
                let level = await simulator.state.quantities(
                    shop: "main",
                    item: "gid://shopify/InventoryItem/\(item)",
                    location: "gid://shopify/Location/1"
                )
                #expect(level?.onHand == 5 + count / 2, "\(sku)")
            }
            print(
                "backlog: \(count) files waiting at start; the first done after \(firstDone ?? .zero) with "
                    + "\(waitingAtFirst ?? 0) still in pending/; all done after \(start.duration(to: .now))"
            )
        }
    }
}
