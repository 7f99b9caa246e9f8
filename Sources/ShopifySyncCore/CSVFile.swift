import CSV
import Foundation

/// Streams the rows of a CSV file with a header row, by column name, without reading the whole file.
///
/// Line numbers count the header as line 1 and assume no field spans lines (quoted newlines shift them).
public struct CSVFile {
    private let reader: CSVReader
    private let columns: [String: Int]
    public let path: String
    /// The line of the row last returned by ``next()``.
    public private(set) var line = 1

    /// Opens `path` and checks that the header names every required column.
    public init(path: String, requiredColumns: [String]) throws(ConfigError) {
        guard let stream = InputStream(fileAtPath: path) else {
            throw ConfigError(file: path, line: nil, "cannot open the file")
        }
        do {
            reader = try CSVReader(stream: stream, hasHeaderRow: true, trimFields: true)
        } catch {
            throw ConfigError(file: path, line: 1, "cannot read the CSV header: \(error)")
        }
        self.path = path
        let header = (reader.headerRow ?? []).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        var columns: [String: Int] = [:]
        for (index, name) in header.enumerated() where columns[name] == nil { columns[name] = index }
        let missing = requiredColumns.filter { columns[$0] == nil }
        guard missing.isEmpty else {
            throw ConfigError(
                file: path,
                line: 1,
                "the header row must name the columns \(requiredColumns.joined(separator: ",")); missing: "
                    + missing.joined(separator: ",")
            )
        }
        self.columns = columns
    }

    /// The next row as column name -> value (empty for a missing cell), or nil at the end of the file.
    public mutating func next() throws(ConfigError) -> [String: String]? {
        guard let row = reader.next() else {
            // CSV.swift reports the end of the stream as cannotReadFile; only other errors are real.
            if let error = reader.error, !Self.isEndOfStream(error) {
                throw ConfigError(file: path, line: line + 1, "not valid CSV: \(error)")
            }
            return nil
        }
        line += 1
        var values: [String: String] = [:]
        for (name, index) in columns { values[name] = index < row.count ? row[index] : "" }
        return values
    }

    private static func isEndOfStream(_ error: any Error) -> Bool {
        if case CSVError.cannotReadFile = error { return true }
        return false
    }

    /// Whether the row last returned was blank (every cell empty).
    public static func isBlank(_ row: [String: String]) -> Bool { row.values.allSatisfy(\.isEmpty) }

    /// Parses `value` as a whole number within `range`.
    public func integer(_ value: String, column: String, range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let number = Int(value), range.contains(number) else {
            throw ConfigError(
                file: path,
                line: line,
                "column \(column): expected a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(value)\""
            )
        }
        return number
    }
}
