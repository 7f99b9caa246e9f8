import Foundation
import ShopifyAPI
import ShopifySyncCore
import Spool

extension OperatorCommands {
    // MARK: - bulk-sync

    /// Builds a bulk_sync request from a snapshot CSV (`sku,location,on_hand`) and submits it.
    ///
    /// Rows are validated and turned into JSON as they are read, so memory follows the request's size only.
    public func bulkSync(
        csv: String,
        store: String?,
        all: Bool,
        force: Bool,
        output: (String) -> Void
    ) throws(CommandFailure) {
        let config = try loadConfig()
        if let store, config.stores[store] == nil {
            throw CommandFailure(.usage, "store \"\(store)\" is not in the config")
        }
        let stamp = Int(Date().timeIntervalSince1970 * 1000)
        let id = "bulk-\(stamp)-\(String(UInt32.random(in: .min ... .max), radix: 16))"
        var body = Array("{\"kind\":\"bulk_sync\",\"id\":\"\(id)\",".utf8)
        if let store { body += Array("\"store\":\(Self.jsonString(store)),".utf8) }
        body += Array("\"scope\":\"\(all ? "all" : "selected")\",\"force\":\(force),\"items\":[".utf8)
        var count = 0
        try Self.readSnapshot(csv) { row throws(CommandFailure) in
            if count > 0 { body.append(UInt8(ascii: ",")) }
            body += Array("{\"sku\":\(Self.jsonString(row.sku)),".utf8)
            if let location = row.location { body += Array("\"location\":\(Self.jsonString(location)),".utf8) }
            body += Array("\"on_hand\":\(row.onHand)}".utf8)
            count += 1
        }
        body += Array("]}\n".utf8)
        if count == 0 && !all { throw CommandFailure(.dataError, "\(csv): the snapshot has no rows") }
        do {
            let decoded = try RequestDecoder().decode(body)
            _ = decoded
        } catch {
            throw CommandFailure(.dataError, "\(csv): \(error)")
        }
        let name = "\(id).json"
        let spool = try preparedSpool(config)
        do {
            try spool.submit(name: name, contents: body)
        } catch {
            throw CommandFailure(.ioError, "cannot place \(name): \(error)")
        }
        output("submitted \(name): \(count) item(s), scope \(all ? "all" : "selected")\(force ? ", force" : "")")
    }

    /// One snapshot row.
    struct SnapshotRow {
        var sku: String
        var location: String?
        var onHand: Int
        var line: Int
    }

    /// Streams a snapshot CSV, validating each row; a bad row is exit 65 naming its line.
    static func readSnapshot(
        _ path: String,
        _ body: (SnapshotRow) throws(CommandFailure) -> Void
    ) throws(CommandFailure) {
        var reader = try SnapshotReader(path: path)
        while let row = try reader.next() { try body(row) }
    }

    /// Reads snapshot rows one at a time.
    struct SnapshotReader {
        private var file: CSVFile
        let path: String

        init(path: String) throws(CommandFailure) {
            self.path = path
            do {
                file = try CSVFile(path: path, requiredColumns: ["sku", "on_hand"])
            } catch {
                throw CommandFailure(.dataError, error.description)
            }
        }

        mutating func next() throws(CommandFailure) -> SnapshotRow? {
            do {
                while let row = try file.next() {
                    if CSVFile.isBlank(row) { continue }
                    let sku = row["sku"] ?? ""
                    guard !sku.isEmpty, sku.count <= 255 else {
                        throw ConfigError(file: path, line: file.line, "column sku: expected 1 to 255 characters")
                    }
                    let onHand = try file.integer(row["on_hand"] ?? "", column: "on_hand", range: 0...1_000_000_000)
                    let location = row["location"].flatMap { $0.isEmpty ? nil : $0 }
                    return SnapshotRow(sku: sku, location: location, onHand: onHand, line: file.line)
                }
                return nil
            } catch {
                throw CommandFailure(.dataError, "\(error)")
            }
        }
    }

    static func jsonString(_ value: String) -> String {
        let data = (try? JSONEncoder().encode(value)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
