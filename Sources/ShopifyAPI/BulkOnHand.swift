import Foundation

/// Reads the JSONL result of ``ShopifyDocuments/bulkOnHandQuery``.
///
/// Shopify writes one JSON object per line for every node of a connection; the `edges`/`node` and `nodes`
/// wrappers are flattened away, and a node of a nested connection carries `__parentId`, the id of the node it
/// belongs to. So a location is `{"id":"gid://shopify/Location/1"}` and each of its levels
/// `{"item":{"id":"gid://shopify/InventoryItem/7"},"quantities":[{"name":"on_hand","quantity":5}],
/// "__parentId":"gid://shopify/Location/1"}`. Lines may come in any order (with `groupObjects: false` a child
/// need not follow its parent), so none is assumed.
public enum BulkOnHand {
    /// Location id -> item id -> `on_hand`; a location without levels maps to an empty dictionary.
    ///
    /// Keys the lines carry beyond these are ignored. A line that is not a JSON object, or that is neither a
    /// location (an `id`, no `__parentId`) nor a level with an item id and an `on_hand` quantity, fails the
    /// whole parse: a partial read must not pass for the shop's stock. Blank lines (the file's final newline)
    /// are skipped; an empty file is an empty shop.
    public static func parse(_ jsonl: [UInt8]) throws(BulkOnHandError) -> [String: [String: Int]] {
        let result = jsonl.withUnsafeBytes { file in
            Result { () throws(BulkOnHandError) in try parse(file) }
        }
        return try result.get()
    }

    private static func parse(_ file: UnsafeRawBufferPointer) throws(BulkOnHandError) -> [String: [String: Int]] {
        var result: [String: [String: Int]] = [:]
        let decoder = JSONDecoder()
        var lineNumber = 0
        var start = 0
        let newline = UInt8(ascii: "\n")
        while start < file.count {
            let end = file[start...].firstIndex(of: newline) ?? file.count
            lineNumber += 1
            defer { start = end + 1 }
            let bytes = file[start..<end]
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let line: Line
            do {
                // The line's bytes in place: copying each line into its own buffer costs as much as decoding it.
                let data = Data(
                    bytesNoCopy: UnsafeMutableRawPointer(mutating: file.baseAddress! + start),
                    count: end - start,
                    deallocator: .none
                )
                line = try decoder.decode(Line.self, from: data)
            } catch {
                throw BulkOnHandError(
                    code: .malformedLine,
                    line: lineNumber,
                    message: "not a JSON object of the shape expected"
                )
            }
            if let parent = line.parentID {
                guard let item = line.item?.id else {
                    throw BulkOnHandError(code: .unexpectedLine, line: lineNumber, message: "a level without item.id")
                }
                guard let onHand = line.quantities?.first(where: { $0.name == "on_hand" })?.quantity else {
                    throw BulkOnHandError(
                        code: .unexpectedLine,
                        line: lineNumber,
                        message: "the level of \(item) has no on_hand quantity"
                    )
                }
                result[parent, default: [:]][item] = onHand
            } else if let id = line.id {
                if result[id] == nil { result[id] = [:] }
            } else {
                throw BulkOnHandError(
                    code: .unexpectedLine,
                    line: lineNumber,
                    message: "neither a location (id) nor an inventory level (__parentId)"
                )
            }
        }
        return result
    }

    /// The keys read from one line; any other key is ignored.
    private struct Line: Decodable {
        struct Item: Decodable {
            var id: String?
        }

        struct Quantity: Decodable {
            var name: String
            var quantity: Int
        }

        var id: String?
        var item: Item?
        var quantities: [Quantity]?
        var parentID: String?

        enum CodingKeys: String, CodingKey {
            case id, item, quantities
            case parentID = "__parentId"
        }
    }
}

/// Why a bulk result could not be read; ``line`` is 1-based.
public struct BulkOnHandError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Kind: String, Sendable, Hashable {
            case malformedLine, unexpectedLine
        }
        fileprivate let kind: Kind
        public var description: String { kind.rawValue }

        /// The line is not JSON, not an object, or a known key has the wrong type.
        public static let malformedLine = Code(kind: .malformedLine)
        /// The line is JSON but neither a location nor a level with an item and an `on_hand` quantity.
        public static let unexpectedLine = Code(kind: .unexpectedLine)
    }

    public var code: Code
    public var line: Int
    public var message: String

    public init(code: Code, line: Int, message: String) {
        self.code = code
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}
