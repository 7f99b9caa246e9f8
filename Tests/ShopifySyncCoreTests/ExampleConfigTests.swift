import Foundation
import Testing

@testable import ShopifySyncCore

/// The production example installed as `/etc/shopify-sync/config.toml.example`: usable as it is.
@Suite("docs/config.toml.example: the installed production example")
struct ExampleConfigTests {
    static let file = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/ShopifySyncCoreTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repo
        .appendingPathComponent("docs/config.toml.example")

    static func text() throws -> String { try String(contentsOf: file, encoding: .utf8) }

    @Test("parses, with absolute paths and the real Shopify endpoint")
    func parses() throws {
        let config = try SyncConfig.parse(Self.text(), path: "/etc/shopify-sync/config.toml", environment: [:])
        let defaults = SyncConfig(path: config.path)
        #expect(config.spoolDir == defaults.spoolDir)
        #expect(config.stateDir == defaults.stateDir)
        #expect(config.catalogPath == defaults.catalogPath)
        #expect(config.doneRetentionDays == defaults.doneRetentionDays)
        #expect(config.maxRetryHours == defaults.maxRetryHours)
        #expect(config.maxFileSize == defaults.maxFileSize)
        #expect(config.massZeroPercent == defaults.massZeroPercent)
        #expect(config.rescanIntervalSeconds == defaults.rescanIntervalSeconds)
        #expect(config.metrics == MetricsConfig(host: "127.0.0.1", port: 9464), "metrics on loopback")
        #expect(!config.stores.isEmpty)
        for store in config.stores.values {
            #expect(store.endpoint == "https://\(store.shop)", "\(store.name) must not point at the simulator")
        }
    }

    @Test("every setting has a comment above it; paths are absolute; no endpoint")
    func commented() throws {
        var previous = ""
        var table = ""
        for line in try Self.text().split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            defer { previous = line }
            if line.hasPrefix("[") {
                table = line
                continue
            }
            guard let equals = line.firstIndex(of: "="), !line.hasPrefix("#") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            #expect(key != "endpoint")
            // A locations table maps codes to locations; the comment above its header explains every row.
            if !table.hasSuffix(".locations]") {
                #expect(previous.hasPrefix("#"), "\(key) has no comment above it")
            }
            if ["spool_dir", "state_dir", "catalog"].contains(key) {
                #expect(line.contains("= \"/"), "\(key) must be an absolute path")
            }
        }
    }
}
