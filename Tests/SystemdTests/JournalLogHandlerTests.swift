import Foundation
import Logging
import Systemd
import TestSupport
import Testing

@Suite("JournalLogHandler")
struct JournalLogHandlerTests {
    @Test(
        "metadata keys become journal field names",
        arguments: [
            ("shopify.store", "SHOPIFY_STORE"),
            ("shopify.sku", "SHOPIFY_SKU"),
            ("shopify.inventory_item", "SHOPIFY_INVENTORY_ITEM"),
            ("shopify.location", "SHOPIFY_LOCATION"),
            ("wms.movement_id", "WMS_MOVEMENT_ID"),
            ("spool.file", "SPOOL_FILE"),
            ("sync.outcome", "SYNC_OUTCOME"),
            ("shopify.error_code", "SHOPIFY_ERROR_CODE"),
            ("shopify.error", "SHOPIFY_ERROR"),
            ("message_id", "MESSAGE_ID"),
            ("http.status", "HTTP_STATUS"),
            ("retry-after.s", "RETRY_AFTER_S"),
            ("Already_UPPER9", "ALREADY_UPPER9"),
            ("_private", "X__PRIVATE"),
            ("9lives", "X_9LIVES"),
            ("", "X_"),
            ("größe", "GR_SSE"),
            ("message", "X_MESSAGE"),
            ("priority", "X_PRIORITY"),
            ("code.line", "X_CODE_LINE"),
            ("message-id", "X_MESSAGE_ID"),
            (String(repeating: "a", count: 80), String(repeating: "A", count: 64)),
        ]
    )
    func fieldNames(key: String, field: String) {
        #expect(JournalLogHandler.fieldName(forMetadataKey: key) == field)
    }

    @Test(
        "log levels map to syslog priorities",
        arguments: [
            (Logger.Level.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
        ]
    )
    func priorities(level: Logger.Level, priority: Int) {
        #expect(JournalLogHandler.priority(for: level) == priority)
    }

    @Test("a metadata array gives its field once per distinct element; other values once")
    func repeatedFields() {
        #expect(JournalLogHandler.fieldValues(of: ["A", "B", "A", "C"]) == ["A", "B", "C"])
        #expect(JournalLogHandler.fieldValues(of: []) == [])
        #expect(JournalLogHandler.fieldValues(of: "A,B") == ["A,B"])
        #expect(JournalLogHandler.fieldValues(of: .stringConvertible(3)) == ["3"])
    }

    @Test("the journal counts as there only if its socket accepts a connection", .timeLimit(.minutes(1)))
    func detectsTheJournalSocket() async throws {
        try await withTemporaryDirectory { directory in
            #expect(!JournalLogHandler.isJournalAvailable(socketPath: directory + "/missing.sock"))
            let plainFile = directory + "/file"
            #expect(FileManager.default.createFile(atPath: plainFile, contents: Data()))
            #expect(!JournalLogHandler.isJournalAvailable(socketPath: plainFile))
            #expect(!JournalLogHandler(label: "test", socketPath: plainFile).isWritingToJournal)
        }
        try await NotifyListener.withListener { listener in  // any datagram listener will do
            #expect(JournalLogHandler.isJournalAvailable(socketPath: listener.path))
        }
    }

    @Test("without a journal, entries go to stderr as <N>message key=value lines", .timeLimit(.minutes(1)))
    func fallbackLines() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/stderr"
            let fd = open(path, O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0o600)
            try #require(fd >= 0)
            defer { close(fd) }
            var handler = JournalLogHandler(
                label: "test",
                socketPath: directory + "/no-journal.sock",
                fallbackFileDescriptor: fd
            )
            #expect(!handler.isWritingToJournal)
            handler.logLevel = .debug
            var logger = Logger(label: "test") { _ in handler }
            logger[metadataKey: "shopify.store"] = "main"

            logger.error(
                "Shopify rejected the line",
                metadata: [
                    "shopify.sku": "TEE-RED-M",
                    "shopify.error": "Inventory item does not exist",
                    "shopify.error_code": "INVALID_INVENTORY_ITEM",
                    "message_id": MessageID.lineFailed.metadataValue,
                    "note": "a \"quoted\" back\\slash",
                ]
            )
            logger.info("two\nlines", metadata: ["empty": ""])
            logger.debug("debug")
            logger.trace("not at this level")

            let written = try String(contentsOfFile: path, encoding: .utf8)
            #expect(
                written == """
                    <3>Shopify rejected the line message_id=\(MessageID.lineFailed.rawValue) \
                    note="a \\"quoted\\" back\\\\slash" shopify.error="Inventory item does not exist" \
                    shopify.error_code=INVALID_INVENTORY_ITEM shopify.sku=TEE-RED-M shopify.store=main
                    <6>two\\nlines empty="" shopify.store=main
                    <7>debug shopify.store=main

                    """
            )
        }
    }

    @Test(
        "entries reach the journal with the contract's fields",
        .enabled(if: isJournaldAvailable, "needs a running journald or root to start /lib/systemd/systemd-journald"),
        .timeLimit(.minutes(1))
    )
    func writesToTheJournal() async throws {
        try await withJournald { journal in
            let handler = JournalLogHandler(label: "systemd-tests")
            #expect(handler.isWritingToJournal)
            let sku = "TEST-\(UInt64.random(in: 0...UInt64.max))"
            let logger = Logger(label: "systemd-tests") { _ in handler }
            let line = #line + 1
            logger.error(
                "Shopify rejected the line\nsecond line",
                metadata: [
                    "shopify.sku": "\(sku)",
                    "shopify.store": "main",
                    "sync.outcome": "failed",
                    "shopify.error_code": "INVALID_INVENTORY_ITEM",
                    "shopify.error": "The specified inventory item could not be found.",
                    "shopify.location": "gid://shopify/Location/1",
                    "message_id": MessageID.lineFailed.metadataValue,
                    "batch.size": .stringConvertible(3),
                ]
            )
            logger.warning("second entry", metadata: ["shopify.sku": "\(sku)"])
            // One entry about several SKUs (an applied call): found by a match on any one of them.
            logger.info(
                "applied",
                metadata: ["shopify.sku": ["OTHER-\(sku)", "\(sku)"], "wms.movement_id": ["m1", "m2"]]
            )

            let entries = try await journal.waitForEntries(matching: ["SHOPIFY_SKU=\(sku)"], count: 3)
            try #require(entries.count == 3)
            // journald keeps every value of a repeated field (in an order of its own).
            #expect(Set(entries[2]["SHOPIFY_SKU"]?.split(separator: "\n") ?? []) == ["OTHER-\(sku)", "\(sku)"])
            #expect(Set(entries[2]["WMS_MOVEMENT_ID"]?.split(separator: "\n") ?? []) == ["m1", "m2"])
            #expect(try journal.entries(matching: "SHOPIFY_SKU=OTHER-\(sku)").count == 1)
            let entry = entries[0]
            #expect(entry["MESSAGE"] == "Shopify rejected the line\nsecond line")
            #expect(entry["PRIORITY"] == "3")
            #expect(entry["SYSLOG_IDENTIFIER"] == "shopify-sync")
            #expect(entry["SHOPIFY_STORE"] == "main")
            #expect(entry["SYNC_OUTCOME"] == "failed")
            #expect(entry["SHOPIFY_ERROR_CODE"] == "INVALID_INVENTORY_ITEM")
            #expect(entry["SHOPIFY_ERROR"] == "The specified inventory item could not be found.")
            #expect(entry["SHOPIFY_LOCATION"] == "gid://shopify/Location/1")
            #expect(entry["MESSAGE_ID"] == MessageID.lineFailed.rawValue)
            #expect(entry["BATCH_SIZE"] == "3")
            #expect(entry["CODE_FILE"] == #fileID)
            #expect(entry["CODE_LINE"] == "\(line)")
            #expect(entry["CODE_FUNC"] == #function)
            #expect(entry["LOGGER"] == "systemd-tests")
            #expect(entries[1]["PRIORITY"] == "4")

            // journalctl's own matching finds it by message id and store too, as the README's examples do.
            let byMessageID = try journal.entries(
                matching: "MESSAGE_ID=\(MessageID.lineFailed.rawValue)",
                "SHOPIFY_SKU=\(sku)"
            )
            #expect(byMessageID.count == 1)
        }
    }
}

/// Runs `body` with a new temporary directory, removed afterwards.
func withTemporaryDirectory<T>(
    isolation: isolated (any Actor)? = #isolation,
    _ body: (String) async throws -> T
) async throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("systemd-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url.path)
}
