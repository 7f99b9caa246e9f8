import CSystemd
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A swift-log `LogHandler` that writes structured entries to the systemd journal (`sd_journal_sendv(3)`).
///
/// Each entry carries `MESSAGE`, `PRIORITY` (from the level), `SYSLOG_IDENTIFIER`, `CODE_FILE`, `CODE_LINE`,
/// `CODE_FUNC`, `LOGGER` (the logger's label) and one field per metadata key, named by
/// ``fieldName(forMetadataKey:)`` (`"shopify.sku"` becomes `SHOPIFY_SKU`, `"message_id"` becomes
/// `MESSAGE_ID`). A metadata array gives its field once per element (``fieldValues(of:)``), so an entry about
/// several SKUs is found by `journalctl SHOPIFY_SKU=` any one of them. An error passed to the log call becomes
/// `SWIFT_ERROR`.
///
/// Whether the journal is there is decided once, when the handler is made: if its socket does not accept a
/// connection, entries go to the fallback descriptor (stderr) as `<N>message key=value ...` lines, the
/// priority prefix systemd parses on a service's stderr. (`sd_journal_sendv` would report success and drop
/// them.) An entry the journal refuses later also goes to the fallback. The handler logs exactly what
/// callers pass: nothing is added from the environment.
public struct JournalLogHandler: LogHandler {
    /// Where journald listens for native entries.
    public static let defaultSocketPath = "/run/systemd/journal/socket"
    /// The contract's `SYSLOG_IDENTIFIER`.
    public static let defaultIdentifier = "shopify-sync"

    /// The logger's label, sent as `LOGGER`.
    public let label: String
    /// The `SYSLOG_IDENTIFIER` sent with every entry.
    public let identifier: String
    /// Whether entries go to the journal (`true`) or the fallback descriptor (`false`).
    public let isWritingToJournal: Bool
    private let fallbackDescriptor: Int32

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?

    /// Creates a handler; suitable for `LoggingSystem.bootstrap { JournalLogHandler(label: $0, metadataProvider: $1) }`.
    ///
    /// - Parameters:
    ///   - label: the logger's label.
    ///   - identifier: the `SYSLOG_IDENTIFIER`.
    ///   - socketPath: the journal socket whose presence decides between journal and fallback.
    ///   - fallbackFileDescriptor: where `<N>` lines go without a journal (stderr by default).
    ///   - metadataProvider: contextual metadata added to every entry.
    public init(
        label: String,
        identifier: String = JournalLogHandler.defaultIdentifier,
        socketPath: String = JournalLogHandler.defaultSocketPath,
        fallbackFileDescriptor: Int32 = STDERR_FILENO,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.identifier = identifier
        self.isWritingToJournal = Self.isJournalAvailable(socketPath: socketPath)
        self.fallbackDescriptor = fallbackFileDescriptor
        self.metadataProvider = metadataProvider
    }

    /// Whether a journal listens on `socketPath` (the socket exists and accepts a connection).
    public static func isJournalAvailable(socketPath: String = JournalLogHandler.defaultSocketPath) -> Bool {
        csystemd_probe_unix_dgram(socketPath) == 0
    }

    /// Whether stderr is already connected to the journal (systemd set `$JOURNAL_STREAM` to stderr's
    /// device and inode), as it is when running under systemd with the default `StandardError=journal`.
    ///
    /// Use it to choose this handler only under systemd and a plain stream handler in a terminal.
    public static var isStderrConnectedToJournal: Bool {
        guard let value = getenv("JOURNAL_STREAM") else { return false }
        let parts = String(cString: value).split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(STDERR_FILENO, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let metadata = self.mergedMetadata(event.metadata)
        if self.isWritingToJournal, self.sendToJournal(event, metadata: metadata) {
            return
        }
        self.writeFallback(event, metadata: metadata)
    }

    // MARK: - Building entries

    private func mergedMetadata(_ explicit: Logger.Metadata?) -> Logger.Metadata {
        var merged = self.metadata
        if let provided = self.metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let explicit {
            merged.merge(explicit) { _, new in new }
        }
        return merged
    }

    /// The journal fields of one entry, in a stable order.
    func fields(for event: LogEvent, metadata: Logger.Metadata) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [
            ("MESSAGE", event.message.description),
            ("PRIORITY", String(Self.priority(for: event.level))),
            ("SYSLOG_IDENTIFIER", self.identifier),
            ("CODE_FILE", event.file),
            ("CODE_LINE", String(event.line)),
            ("CODE_FUNC", event.function),
            ("LOGGER", self.label),
        ]
        if let error = event.error {
            fields.append(("SWIFT_ERROR", String(describing: error)))
        }
        for key in metadata.keys.sorted() {
            let name = Self.fieldName(forMetadataKey: key)
            for value in Self.fieldValues(of: metadata[key]!) {
                fields.append((name, value))
            }
        }
        return fields
    }

    /// The fallback line of one entry: `<N>message key=value ...` with a trailing newline.
    func fallbackLine(for event: LogEvent, metadata: Logger.Metadata) -> String {
        var line = "<\(Self.priority(for: event.level))>\(Self.escapeNewlines(event.message.description))"
        if let error = event.error {
            line += " error=\(Self.quoted(String(describing: error)))"
        }
        for key in metadata.keys.sorted() {
            for value in Self.fieldValues(of: metadata[key]!) {
                line += " \(Self.escapeNewlines(key))=\(Self.quoted(value))"
            }
        }
        return line + "\n"
    }

    private static func escapeNewlines(_ text: String) -> String {
        guard text.contains(where: \.isNewline) else { return text }
        return text.replacingNewlines()
    }

    /// A value as is when it is one plain word, else in double quotes with `\`, `"` and line breaks escaped.
    private static func quoted(_ value: String) -> String {
        let plain =
            !value.isEmpty && !value.contains { $0.isWhitespace || $0 == "\"" || $0 == "=" || $0 == "\\" }
        if plain {
            return value
        }
        var result = "\""
        for character in value {
            switch character {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where character.isNewline: result += "\\n"
            default: result.append(character)
            }
        }
        return result + "\""
    }

    // MARK: - Writing

    private func sendToJournal(_ event: LogEvent, metadata: Logger.Metadata) -> Bool {
        var bytes: [UInt8] = []
        var spans: [(offset: Int, count: Int)] = []
        for field in self.fields(for: event, metadata: metadata) {
            let start = bytes.count
            bytes.append(contentsOf: field.name.utf8)
            bytes.append(UInt8(ascii: "="))
            bytes.append(contentsOf: field.value.utf8)
            spans.append((start, bytes.count - start))
        }
        let result = bytes.withUnsafeMutableBytes { raw -> Int32 in
            let vectors = spans.map { iovec(iov_base: raw.baseAddress! + $0.offset, iov_len: $0.count) }
            return vectors.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        }
        return result >= 0
    }

    private func writeFallback(_ event: LogEvent, metadata: Logger.Metadata) {
        var bytes = Array(self.fallbackLine(for: event, metadata: metadata).utf8)
        _ = bytes.withUnsafeMutableBytes { csystemd_write_all(self.fallbackDescriptor, $0.baseAddress, $0.count) }
    }
}

extension String {
    fileprivate func replacingNewlines() -> String {
        String(self.flatMap { $0.isNewline ? ["\\", "n"] : [$0] })
    }
}
