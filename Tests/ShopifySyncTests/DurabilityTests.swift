import Foundation
import Glibc
import Testing

/// The ledger is on disk before the call or rename it precedes: the real daemon's WAL syncs, counted with strace.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct DurabilityTests {
    static let strace = "/usr/bin/strace"
    static var hasStrace: Bool { FileManager.default.isExecutableFile(atPath: strace) }

    /// The daemon of the world in `directory`, under strace logging `calls` (with paths) into `trace`.
    static func tracedDaemon(_ directory: String, calls: String, trace: String) throws -> ChildDaemon {
        try ChildDaemon(
            config: "\(directory)/config.toml",
            logPath: "\(directory)/daemon.log",
            executable: strace,
            arguments: ["-f", "-y", "-e", "trace=\(calls)", "-o", trace, ChildDaemon.executable]
                + ChildDaemon.daemonArguments
        )
    }

    /// Kills a traced daemon: strace's child is the daemon, so it goes too, and a failed check leaves nothing
    /// running.
    static func killTraced(_ daemon: ChildDaemon) {
        for child in children(of: daemon.pid) { kill(child, SIGKILL) }
        daemon.signal(SIGKILL)
    }

    /// The child processes of `pid`.
    static func children(of pid: Int32) -> [Int32] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    @Test(
        "every ledger commit syncs the WAL: 20 movements make at least 4 syncs each (strace; skipped without it)",
        .enabled(if: hasStrace)
    )
    func walIsSyncedPerCommit() async throws {
        try await DaemonSystemdTests.withWorld(skus: ["A-1", "GONE"]) { simulator, directory in
            let trace = "\(directory)/strace.log"
            let daemon = try Self.tracedDaemon(directory, calls: "fdatasync,fsync", trace: trace)
            defer { Self.killTraced(daemon) }
            let spool = "\(directory)/spool"
            while !FileManager.default.fileExists(atPath: "\(spool)/done") {
                try await Task.sleep(for: .milliseconds(20))
            }
            let count = 20
            // One at a time, so no two movements share a call: each costs its own commits.
            for index in 0..<count {
                try DaemonSystemdTests.drop(
                    directory,
                    "d\(index).json",
                    movement("d-\(index)", "receipt", [("A-1", nil, 1)])
                )
                let deadline = ContinuousClock.now + .seconds(20)
                while !FileManager.default.fileExists(atPath: "\(spool)/done/d\(index).json.result") {
                    guard ContinuousClock.now < deadline else {
                        Issue.record("d\(index).json did not finish: \(daemon.log)")
                        return
                    }
                    try await Task.sleep(for: .milliseconds(10))
                }
            }
            // SIGTERM to the traced daemon (strace's child); strace ends with it.
            let children = Self.children(of: daemon.pid)
            #expect(children.count == 1, "cannot find the traced daemon under strace")
            for child in children { kill(child, SIGTERM) }
            #expect(await daemon.waitForExit(timeout: .seconds(35)) != nil)
            let log = try String(contentsOfFile: trace, encoding: .utf8)
            let walSyncs = log.split(separator: "\n").filter {
                ($0.contains("fdatasync(") || $0.contains("fsync(")) && $0.contains("state.sqlite-wal>")
            }.count
            // Per movement: it is recorded, its call written down before it is sent, settled, and finished
            // before its file moves: four commits, each synced.
            #expect(walSyncs >= 4 * count, "only \(walSyncs) syncs of the WAL for \(count) movements")
            let level = await simulator.state.quantities(
                shop: "main",
                item: "gid://shopify/InventoryItem/7000",
                location: "gid://shopify/Location/1"
            )
            #expect(level?.onHand == 5 + count)
        }
    }

    @Test(
        "group commit: 300 waiting files cost a few WAL syncs, no fsync per report, and a syncfs (strace; skipped without it)",
        .enabled(if: hasStrace)
    )
    func groupCommit() async throws {
        try await DaemonSystemdTests.withWorld(skus: ["A-1", "GONE"]) { simulator, directory in
            let spool = "\(directory)/spool"
            try FileManager.default.createDirectory(atPath: "\(spool)/pending", withIntermediateDirectories: true)
            let count = 300
            for index in 0..<count {
                try DaemonSystemdTests.drop(
                    directory,
                    "g\(index).json",
                    movement("g-\(index)", "receipt", [("A-1", nil, 1)])
                )
            }
            let trace = "\(directory)/strace.log"
            let daemon = try Self.tracedDaemon(directory, calls: "fdatasync,fsync,syncfs", trace: trace)
            defer { Self.killTraced(daemon) }
            let deadline = ContinuousClock.now + .seconds(60)
            while (try? FileManager.default.contentsOfDirectory(atPath: "\(spool)/done"))?.count ?? 0 < 2 * count {
                guard ContinuousClock.now < deadline else {
                    Issue.record("the files did not finish: \(daemon.log)")
                    return
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            for child in Self.children(of: daemon.pid) { kill(child, SIGTERM) }
            #expect(await daemon.waitForExit(timeout: .seconds(35)) != nil)
            let calls = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
            let walSyncs = calls.filter { $0.contains("state.sqlite-wal>") && $0.contains("sync(") }.count
            let reportSyncs = calls.filter { $0.contains("fsync(") && $0.contains(".result.") }.count
            let filesystemSyncs = calls.filter { $0.contains("syncfs(") }.count
            // Recorded in one transaction, sent in two calls of at most 250 rows, finished in a few batches.
            #expect(walSyncs < count / 10, "\(walSyncs) syncs of the WAL for \(count) files")
            #expect(reportSyncs == 0, "\(reportSyncs) reports were fsynced one by one")
            // None at start (the ledger marks no report), one within a second of the finishes or at shutdown.
            #expect(filesystemSyncs >= 1, "\(filesystemSyncs) syncfs calls")
            let level = await simulator.state.quantities(
                shop: "main",
                item: "gid://shopify/InventoryItem/7000",
                location: "gid://shopify/Location/1"
            )
            #expect(level?.onHand == 5 + count)
        }
    }
}

/// A Shopify that cannot be reached at all: no attempt is sent, so giving up says so and a requeue sends anew.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct UnreachableShopifyTests {
    @Test("connection refused until max_retry_hours: shopify_unavailable, nothing held; requeued, applied once")
    func nothingSentIsNotUnknown() async throws {
        try await DaemonSystemdTests.withWorld(skus: ["A-1", "GONE"]) { simulator, directory in
            let configPath = "\(directory)/config.toml"
            let working = try String(contentsOfFile: configPath, encoding: .utf8)
            let endpoint = simulator.baseURL(shop: "main")
            // Port 1 on loopback: every connection is refused before a byte is sent.
            try
                ("max_retry_hours = 0.001\n"
                + working.replacingOccurrences(of: endpoint, with: "http://127.0.0.1:1/main"))
                .write(toFile: configPath, atomically: true, encoding: .utf8)
            let daemon = try ChildDaemon(config: configPath, logPath: "\(directory)/daemon.log")
            defer { daemon.signal(SIGKILL) }
            try DaemonSystemdTests.drop(directory, "r.json", movement("r-1", "receipt", [("A-1", nil, 1)]))
            let report = "\(directory)/spool/failed/r.json.error"
            let deadline = ContinuousClock.now + .seconds(60)
            while !FileManager.default.fileExists(atPath: report) && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            let text = try String(contentsOfFile: report, encoding: .utf8)
            #expect(text.contains("shopify_unavailable"), "expected shopify_unavailable: \(text)")
            #expect(!text.contains("outcome_unknown"))

            // Shopify reachable again: the requeued movement goes under a new key, once.
            try ("max_retry_hours = 0.001\n" + working).write(toFile: configPath, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            try await Task.sleep(for: .milliseconds(500))
            let requeue = try ChildDaemon(
                config: configPath,
                logPath: "\(directory)/requeue.log",
                arguments: ["requeue", "r.json"]
            )
            #expect(await requeue.waitForExit(timeout: .seconds(20)) == 0, "\(requeue.log)")
            while !FileManager.default.fileExists(atPath: "\(directory)/spool/done/r.json.result")
                && ContinuousClock.now < deadline + .seconds(30)
            {
                try await Task.sleep(for: .milliseconds(50))
            }
            let level = await simulator.state.quantities(
                shop: "main",
                item: "gid://shopify/InventoryItem/7000",
                location: "gid://shopify/Location/1"
            )
            #expect(level?.onHand == 6, "the requeued movement must be applied exactly once")
            daemon.signal(SIGTERM)
            _ = await daemon.waitForExit(timeout: .seconds(35))
        }
    }
}
