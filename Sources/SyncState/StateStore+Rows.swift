import Foundation
import GRDB
import ShopifySyncCore

/// Reading rows back: a value this version does not know fails loudly.
extension StateStore {
    /// A stored enum value, or ``LedgerCorruption`` when this version does not know it.
    static func value<T: RawRepresentable>(
        _ type: T.Type,
        _ row: Row,
        _ table: String,
        _ column: String
    ) throws -> T where T.RawValue == String {
        let raw: String = row[column] ?? ""
        guard let value = T(rawValue: raw) else {
            throw LedgerCorruption(table: table, column: column, value: raw)
        }
        return value
    }

    /// A stored enum value that may be NULL; a value this version does not know is ``LedgerCorruption``.
    static func optionalValue<T: RawRepresentable>(
        _ type: T.Type,
        _ row: Row,
        _ table: String,
        _ column: String
    ) throws -> T? where T.RawValue == String {
        guard let raw: String = row[column] else { return nil }
        guard let value = T(rawValue: raw) else { throw LedgerCorruption(table: table, column: column, value: raw) }
        return value
    }

    static func request(_ row: Row) throws -> RequestRecord {
        RequestRecord(
            id: row["id"],
            contentHash: row["content_hash"],
            kind: row["kind"],
            spoolFile: row["spool_file"],
            status: try value(RequestStatus.self, row, "requests", "status"),
            outcome: row["outcome"],
            reason: row["reason"],
            message: row["message"],
            info: row["info"],
            attempts: row["attempts"],
            receivedAt: row["received_at"],
            finishedAt: row["finished_at"]
        )
    }

    /// The lines a query of the lines table selects, read row by row from the statement: no row is copied,
    /// and the columns are looked up in the statement's index, not in one built for each copied row (which a
    /// profile of a hard sync showed costing more than the query).
    static func fetchLines(
        _ db: Database,
        sql: String,
        arguments: StatementArguments = StatementArguments()
    ) throws
        -> [LineRecord]
    {
        var lines: [LineRecord] = []
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try rows.next() { lines.append(try line(row)) }
        return lines
    }

    static func line(_ row: Row) throws -> LineRecord {
        var record = LineRecord(
            ref: LineRef(requestID: row["request_id"], line: row["line"], store: row["store"]),
            sku: row["sku"],
            kind: try value(LineKind.self, row, "lines", "kind"),
            state: try value(LineState.self, row, "lines", "state"),
            reason: try optionalValue(LineReason.self, row, "lines", "reason"),
            inventoryItem: row["inventory_item"],
            location: row["location"],
            shopifyReason: row["shopify_reason"],
            delta: row["delta"],
            quantity: row["quantity"]
        )
        record.errorCode = row["error_code"]
        record.error = row["error"]
        record.before = row["before"]
        record.after = row["after"]
        record.generation = row["generation"]
        record.rereads = row["rereads"]
        record.intentID = row["intent_id"]
        record.firstAttemptAt = row["first_attempt_at"]
        record.at = row["at"]
        record.pairQuantity = row["pair_quantity"]
        return record
    }
}
