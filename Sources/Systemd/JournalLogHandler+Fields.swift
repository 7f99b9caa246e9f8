import Logging

extension JournalLogHandler {
    /// The journal field each contract metadata key becomes.
    public static let knownFields: [String: String] = [
        "shopify.store": "SHOPIFY_STORE",
        "shopify.sku": "SHOPIFY_SKU",
        "shopify.inventory_item": "SHOPIFY_INVENTORY_ITEM",
        "shopify.location": "SHOPIFY_LOCATION",
        "wms.movement_id": "WMS_MOVEMENT_ID",
        "spool.file": "SPOOL_FILE",
        "sync.outcome": "SYNC_OUTCOME",
        "shopify.error_code": "SHOPIFY_ERROR_CODE",
        "shopify.error": "SHOPIFY_ERROR",
        "message_id": "MESSAGE_ID",
    ]

    /// Fields the handler sets itself (or journald owns); other metadata keys never produce them.
    static let reservedFields: Set<String> = [
        "MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER", "SYSLOG_FACILITY", "SYSLOG_PID",
        "SYSLOG_TIMESTAMP", "SYSLOG_RAW", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "ERRNO", "INVOCATION_ID",
        "USER_INVOCATION_ID", "TID", "UNIT", "USER_UNIT", "COREDUMP_UNIT", "OBJECT_PID", "LOGGER",
        "SWIFT_ERROR",
    ]

    /// The longest field name journald accepts.
    static let maximumFieldNameLength = 64

    /// The journal field name for a metadata key.
    ///
    /// Contract keys map as in ``knownFields``. Any other key is uppercased, every character outside
    /// `[A-Z0-9_]` becomes `_`, and it is prefixed with `X_` if it would start with `_` or a digit, be empty,
    /// or collide with a field the handler sets itself; it is cut to 64 characters.
    public static func fieldName(forMetadataKey key: String) -> String {
        if let known = self.knownFields[key] {
            return known
        }
        var name = String(
            key.uppercased().unicodeScalars.map { scalar -> Character in
                switch scalar {
                case "A"..."Z", "0"..."9", "_": Character(scalar)
                default: "_"
                }
            }
        )
        if name.isEmpty || name.first == "_" || name.first!.isNumber || self.reservedFields.contains(name) {
            name = "X_" + name
        }
        return String(name.prefix(self.maximumFieldNameLength))
    }

    /// The values one metadata value gives its journal field: an array one per element, in order and without
    /// repeats (journald keeps every value of a repeated field, and a match on any one finds the entry);
    /// anything else one, its description.
    public static func fieldValues(of value: Logger.Metadata.Value) -> [String] {
        guard case .array(let elements) = value else {
            return [value.description]
        }
        var seen: Set<String> = []
        return elements.map(\.description).filter { seen.insert($0).inserted }
    }

    /// The journal `PRIORITY` (syslog severity) for a log level.
    public static func priority(for level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
