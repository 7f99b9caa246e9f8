import Foundation
import ShopifySyncCore
import SyncState

/// The JSON report written next to a finished request: `NAME.json.result` in done/, `NAME.json.error` in failed/.
public struct RequestReport: Codable, Sendable, Hashable {
    /// One line's outcome in one store.
    public struct Line: Codable, Sendable, Hashable {
        public var line: Int
        public var sku: String
        public var store: String?
        /// applied, skipped, failed (or pending in a report of unfinished work).
        public var outcome: String
        public var reason: String?
        public var errorCode: String?
        public var error: String?
        public var inventoryItem: String?
        public var location: String?
        public var delta: Int?
        public var quantity: Int?
        public var before: Int?
        public var after: Int?
    }

    public var file: String
    public var id: String?
    public var kind: String?
    /// applied, partial, duplicate, failed, refused.
    public var outcome: String
    /// A stable code for why the file did not (fully) succeed, for example `id_conflict` or `malformed_json`.
    public var reason: String?
    public var message: String?
    public var field: String?
    public var warnings: [String]?
    public var lines: [Line]?
    /// Hard sync: mapped SKUs the snapshot did not name, per store (reported, never zeroed).
    public var missingFromSnapshot: [String: [String]]?
    public var counts: [String: Int]?
    public var attempts: Int?
    public var receivedAt: String?
    public var finishedAt: String

    public init(file: String, outcome: String, finishedAt: Date) {
        self.file = file
        self.outcome = outcome
        self.finishedAt = RequestReport.timestamp(finishedAt)
    }

    /// The report's bytes: pretty JSON with sorted keys, newline-terminated.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data("{\"outcome\":\"\(outcome)\"}".utf8)
        return [UInt8](data) + [UInt8(ascii: "\n")]
    }

    public static func decode(_ bytes: [UInt8]) throws -> RequestReport {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(RequestReport.self, from: Data(bytes))
    }

    public static func timestamp(_ date: Date) -> String {
        date.formatted(timestampStyle)
    }

    /// The format of every timestamp in reports and `status` (RFC 3339 in UTC, `Z`); it also parses them back.
    static let timestampStyle = Date.ISO8601FormatStyle.iso8601.year().month().day().dateSeparator(.dash)
        .time(includingFractionalSeconds: true).timeZone(separator: .omitted)

    /// A report's line from a ledger line.
    static func line(_ record: LineRecord) -> Line {
        Line(
            line: record.ref.line,
            sku: record.sku,
            store: record.ref.store.isEmpty ? nil : record.ref.store,
            outcome: record.state.rawValue,
            reason: record.reason?.rawValue,
            errorCode: record.errorCode,
            error: record.error,
            inventoryItem: record.inventoryItem,
            location: record.location,
            delta: record.delta,
            quantity: record.quantity,
            before: record.before,
            after: record.after
        )
    }
}
