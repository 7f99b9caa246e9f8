import Foundation
import Logging
import ShopifySimulator
import Systemd
import TestSupport
import Testing

/// `drift --journal`, as the drift timer runs it: drift found is one journal entry with its own MESSAGE_ID.
@Suite(.timeLimit(.minutes(2)))
struct DriftJournalTests {
    @Test("drift --journal logs MESSAGE_ID driftFound with the snapshot when drift is found, nothing when not")
    func journalEntry() async throws {
        var logger = Logging.Logger(label: "sim")
        logger.logLevel = .critical
        let seeded = try await CommandLineTests.withExample { directory in
            try SimulatorSeed.shops(
                configPath: "\(directory)/config.toml",
                catalogPath: "\(directory)/catalog.csv",
                initialOnHand: 10
            )
        }
        try await withSimulator(SimulatorOptions(shops: seeded), logger: logger) { simulator in
            try await CommandLineTests.withExample { directory in
                try CommandLineTests.useSimulator(simulator, in: directory)
                let config = "\(directory)/config.toml"
                // No socket at this path: the entry goes to stderr as `<N>message key=value ...`.
                let noJournal = ["SHOPIFY_SYNC_JOURNAL_SOCKET": "\(directory)/no-journal.socket"]
                let drifted = "\(directory)/drifted.csv"
                try "sku,location,on_hand\nTEE-RED-L,WH1,13\n".write(toFile: drifted, atomically: true, encoding: .utf8)
                let found = try await CommandLineTests.run(
                    ["drift", "--journal", "--config", config, "--csv", drifted, "--store", "main"],
                    environment: noJournal
                )
                #expect(found.status == 1, "\(found.output)")
                let entry = found.output.split(separator: "\n").first { $0.contains(MessageID.driftFound.rawValue) }
                #expect(entry?.hasPrefix("<4>drift found in 1 row(s)") == true, "\(found.output)")
                #expect(entry?.contains(" drift.snapshot=\(drifted) ") == true, "\(found.output)")
                #expect(entry?.hasSuffix(" shopify.store=main") == true, "\(found.output)")

                let equal = "\(directory)/equal.csv"
                try "sku,location,on_hand\nTEE-RED-S,WH1,10\n".write(toFile: equal, atomically: true, encoding: .utf8)
                let clean = try await CommandLineTests.run(
                    ["drift", "--journal", "--config", config, "--csv", equal],
                    environment: noJournal
                )
                #expect(clean.status == 0, "\(clean.output)")
                #expect(!clean.output.contains(MessageID.driftFound.rawValue))

                // Without --journal, drift is only the report and the exit status.
                let plain = try await CommandLineTests.run(
                    ["drift", "--config", config, "--csv", drifted],
                    environment: noJournal
                )
                #expect(plain.status == 1)
                #expect(!plain.output.contains(MessageID.driftFound.rawValue))
            }
        }
    }
}
