import Foundation
import Logging
import ShopifySimulator
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The daemon's Prometheus endpoint, scraped while it runs against the simulator.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct MetricsEndpointTests {
    /// One sample of the exposition: `name{label="value",...} number`.
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    static func parse(_ text: String) -> [Sample] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "),
                let value = Double(line[line.index(after: space)...])
            else { return nil }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else {
                return Sample(name: String(series), labels: [:], value: value)
            }
            var labels: [String: String] = [:]
            for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: ",")
            {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { labels[String(parts[0])] = String(parts[1].dropFirst().dropLast()) }
            }
            return Sample(name: String(series[..<brace]), labels: labels, value: value)
        }
    }

    /// The sum of the samples named `name` whose labels include `labels`.
    static func sum(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
            .reduce(0) { $0 + $1.value }
    }

    static func jsonFiles(_ directory: String, _ folder: String) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/spool/\(folder)")) ?? [])
            .filter { $0.hasSuffix(".json") }.count
    }

    /// The TCP sockets `pid` listens on (inodes of its socket descriptors that /proc/net/tcp* lists as LISTEN).
    static func listeningSockets(of pid: Int32) -> Set<String> {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        let inodes = Set(
            fds.compactMap { fd -> String? in
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                    target.hasPrefix("socket:[")
                else { return nil }
                return String(target.dropFirst(8).dropLast())
            }
        )
        var listening: Set<String> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            // Read to the end: a procfs file reports size 0, and a single read of a busy table can stop short.
            let data = FileHandle(forReadingAtPath: table).flatMap { try? $0.readToEnd() } ?? Data()
            let text = String(decoding: data, as: UTF8.self)
            for row in text.split(separator: "\n").dropFirst() {
                let columns = row.split(separator: " ")
                if columns.count > 9, columns[3] == "0A", inodes.contains(String(columns[9])) {
                    listening.insert(String(columns[9]))
                }
            }
        }
        return listening
    }

    static func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting until \(what)") }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Starts a daemon on `directory` with `[metrics] listen = "127.0.0.1:0"`; returns it and the port it logged.
    static func startWithMetrics(_ directory: String) async throws -> (ChildDaemon, String) {
        let config = "\(directory)/config.toml"
        let text = try String(contentsOfFile: config, encoding: .utf8)
        try (text + "\n[metrics]\nlisten = \"127.0.0.1:0\"\n").write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try ChildDaemon(config: config, logPath: "\(directory)/daemon.log")
        var port = ""
        do {
            try await waitUntil("the daemon serves metrics") {
                let log = daemon.log
                guard let range = log.range(of: #"metrics at http://127\.0\.0\.1:[0-9]+/"#, options: .regularExpression)
                else { return false }
                port = String(log[range].dropFirst("metrics at http://127.0.0.1:".count).dropLast())
                return true
            }
        } catch {
            daemon.signal(SIGKILL)
            throw error
        }
        return (daemon, port)
    }

    /// One scrape of `/metrics`.
    static func scrape(_ port: String) async throws -> [Sample] {
        let (body, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        return parse(String(decoding: body, as: UTF8.self))
    }

    @Test("scraped during a run, the metrics match the spool and the simulator's calls")
    func scrape() async throws {
        try await DaemonSystemdTests.withWorld(skus: ["A-1", "A-2", "GONE"]) { simulator, directory in
            let (daemon, port) = try await Self.startWithMetrics(directory)
            defer { daemon.signal(SIGKILL) }
            #expect(Self.listeningSockets(of: daemon.pid).count == 1)

            for index in 0..<6 {
                try DaemonSystemdTests.drop(
                    directory,
                    "m\(index).json",
                    movement("m-\(index)", "receipt", [("A-\(index % 2 + 1)", nil, 1)])
                )
            }
            try DaemonSystemdTests.drop(directory, "gone.json", movement("gone", "receipt", [("GONE", nil, 2)]))
            try await Self.waitUntil("the spool is drained") {
                Self.jsonFiles(directory, "pending") == 0 && Self.jsonFiles(directory, "processing") == 0
                    && Self.jsonFiles(directory, "done") + Self.jsonFiles(directory, "failed") == 7
            }

            let samples = try await Self.scrape(port)

            // The spool: what the folders hold.
            for folder in ["pending", "processing", "done", "failed"] {
                #expect(
                    Self.sum(samples, "shopify_sync_spool_files", ["folder": folder])
                        == Double(Self.jsonFiles(directory, folder)),
                    "\(folder)"
                )
            }
            #expect(Self.sum(samples, "shopify_sync_spool_files", ["folder": "done"]) == 6)
            #expect(Self.sum(samples, "shopify_sync_oldest_pending_age_seconds") == 0)

            // The lines: six applied, GONE failed as Shopify's INVALID_INVENTORY_ITEM.
            #expect(Self.sum(samples, "shopify_sync_lines", ["store": "main", "outcome": "applied"]) == 6)
            let failed = ["store": "main", "outcome": "failed", "reason": "INVALID_INVENTORY_ITEM"]
            #expect(Self.sum(samples, "shopify_sync_lines", failed) == 1)

            // Every call the simulator received is counted once, with its duration.
            let calls = await simulator.state.calls().filter { $0.shop == "main" }
            #expect(!calls.isEmpty)
            #expect(Self.sum(samples, "shopify_sync_shopify_calls_total", ["store": "main"]) == Double(calls.count))
            #expect(
                Self.sum(samples, "shopify_sync_shopify_call_duration_seconds_count", ["store": "main"])
                    == Double(calls.count)
            )
            let refused = calls.filter { $0.outcome == .refused }.count
            #expect(
                Self.sum(samples, "shopify_sync_shopify_calls_total", ["store": "main", "outcome": "user_errors"])
                    == Double(refused)
            )
            let level = Self.sum(samples, "shopify_sync_shopify_cost_available_points", ["store": "main"])
            #expect(level > 0 && level <= 2000)
            #expect(Self.sum(samples, "shopify_sync_store_state", ["store": "main", "state": "ok"]) == 1)
            #expect(Self.sum(samples, "shopify_sync_store_state", ["store": "main", "state": "paused"]) == 0)
            let lastSuccess = Self.sum(samples, "shopify_sync_store_last_success_timestamp_seconds", ["store": "main"])
            #expect(abs(lastSuccess - Date().timeIntervalSince1970) < 60)
        }
    }

    @Test("a call held for the cost bucket counts as a budget wait")
    func budgetWait() async throws {
        var logger = Logger(label: "sim")
        logger.logLevel = .critical
        let item = SimulatorItem(
            id: "gid://shopify/InventoryItem/7000",
            sku: "A-1",
            levels: ["gid://shopify/Location/1": 5]
        )
        // A bucket of 15 points restoring 20 a second: after one call (about 10 points) the next one waits.
        let options = SimulatorOptions(
            shops: [SimulatorShop(name: "main", locations: ["gid://shopify/Location/1"], items: [item])],
            restoreRate: 20,
            bucket: 15
        )
        try await withSimulator(options, logger: logger) { simulator in
            let directory = try DaemonSystemdTests.prepare(simulator, skus: ["A-1", "GONE"])
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let (daemon, port) = try await Self.startWithMetrics(directory)
            defer { daemon.signal(SIGKILL) }
            for index in 0..<3 {
                try DaemonSystemdTests.drop(
                    directory,
                    "m\(index).json",
                    movement("m-\(index)", "receipt", [("A-1", nil, 1)])
                )
                try await Self.waitUntil("m\(index) is done") { Self.jsonFiles(directory, "done") == index + 1 }
            }
            let samples = try await Self.scrape(port)
            #expect(
                Self.sum(samples, "shopify_sync_shopify_throttle_waits_total", ["store": "main", "cause": "budget"])
                    >= 1
            )
            #expect(Self.sum(samples, "shopify_sync_shopify_calls_total", ["store": "main", "outcome": "ok"]) == 3)
        }
    }

    @Test("without [metrics] nothing listens")
    func absent() async throws {
        try await DaemonSystemdTests.withWorld(skus: ["A-1", "GONE"]) { _, directory in
            let daemon = try ChildDaemon(config: "\(directory)/config.toml", logPath: "\(directory)/daemon.log")
            defer { daemon.signal(SIGKILL) }
            try DaemonSystemdTests.drop(directory, "m.json", movement("m", "receipt", [("A-1", nil, 1)]))
            try await Self.waitUntil("the file is done") { Self.jsonFiles(directory, "done") == 1 }
            #expect(Self.listeningSockets(of: daemon.pid).isEmpty)
            #expect(!daemon.log.contains("Prometheus"))
        }
    }
}
