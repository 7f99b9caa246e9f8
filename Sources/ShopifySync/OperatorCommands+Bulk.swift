import Foundation
import ShopifyAPI
import ShopifySyncCore
import Spool

extension OperatorCommands {
    // MARK: - bulk-sync

    /// Builds a bulk_sync request from a snapshot CSV (`sku,location,on_hand`) and submits it.
    ///
    /// Rows are validated and written out as they are read, straight into the hidden file in tmp/ that is then
    /// renamed into pending/: memory stays bounded whatever the snapshot's size. A bad row places nothing.
    ///
    /// `asOf` is the instant the snapshot describes (RFC 3339); without it, the CSV file's modification time,
    /// which is when the WMS wrote the snapshot. See ``SnapshotRule``.
    public func bulkSync(
        csv: String,
        store: String?,
        all: Bool,
        force: Bool,
        asOf: String? = nil,
        output: (String) -> Void
    ) throws(CommandFailure) {
        let config = try loadConfig()
        if let store, config.stores[store] == nil {
            throw CommandFailure(.usage, "store \"\(store)\" is not in the config")
        }
        if let asOf, !RFC3339.isValid(asOf) {
            throw CommandFailure(.usage, "--as-of: expected an RFC 3339 time such as 2026-11-28T09:30:00Z, got \(asOf)")
        }
        let snapshotTime: String
        if let asOf {
            snapshotTime = asOf
        } else if let modified = (try? FileManager.default.attributesOfItem(atPath: csv))?[.modificationDate] as? Date {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            snapshotTime = formatter.string(from: modified)
        } else {
            throw CommandFailure(.dataError, "\(csv): cannot read the file")
        }
        let stamp = Int(Date().timeIntervalSince1970 * 1000)
        let id = "bulk-\(stamp)-\(String(UInt32.random(in: .min ... .max), radix: 16))"
        let name = "\(id).json"
        let spool = try preparedSpool(config)
        var reader = try SnapshotReader(path: csv)
        var count = 0
        do {
            try spool.submit(name: name) { write in
                var chunk = Array("{\"kind\":\"bulk_sync\",\"id\":\"\(id)\",".utf8)
                if let store { chunk += Array("\"store\":\(Self.jsonString(store)),".utf8) }
                chunk += Array("\"scope\":\"\(all ? "all" : "selected")\",\"force\":\(force),".utf8)
                chunk += Array("\"as_of\":\(Self.jsonString(snapshotTime)),\"items\":[".utf8)
                while let row = try reader.next() {
                    if count > 0 { chunk.append(UInt8(ascii: ",")) }
                    chunk += Array("{\"sku\":\(Self.jsonString(row.sku)),".utf8)
                    if let location = row.location { chunk += Array("\"location\":\(Self.jsonString(location)),".utf8) }
                    chunk += Array("\"on_hand\":\(row.onHand)}".utf8)
                    count += 1
                    if chunk.count >= 64 * 1024 {
                        try write(chunk)
                        chunk.removeAll(keepingCapacity: true)
                    }
                }
                if count == 0 && !all { throw CommandFailure(.dataError, "\(csv): the snapshot has no rows") }
                try write(chunk + Array("]}\n".utf8))
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure(.ioError, "cannot place \(name): \(error)")
        }
        output(
            "submitted \(name): \(count) item(s), scope \(all ? "all" : "selected")\(force ? ", force" : ""), "
                + "as of \(snapshotTime)"
        )
    }

    /// One snapshot row.
    struct SnapshotRow {
        var sku: String
        var location: String?
        var onHand: Int
        var line: Int
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
