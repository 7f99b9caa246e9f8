/// A parsed JSON document that keeps integers apart from fractional numbers, for strict request decoding.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number written without a fraction or an exponent that fits in `Int`.
    case integer(Int)
    /// Any other number: written with a fraction or an exponent (`1.0`, `1e2`), or an integer beyond `Int`.
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses a request file's bytes as strict RFC 8259 JSON in UTF-8; the error's message says where and why
    /// the text stops being JSON.
    ///
    /// Refused (reason `malformed_json`): anything that is not UTF-8 (a byte order mark, UTF-16 or UTF-32, invalid
    /// byte sequences), NUL and other unescaped control bytes, a key twice in one object (the error's field names
    /// it), nesting deeper than ``JSONParser/maxDepth``, `NaN`, `Infinity`, trailing commas, comments, and anything
    /// after the value.
    public static func parse(_ bytes: [UInt8]) throws(RequestError) -> JSONValue {
        if let encodingProblem = Self.encodingProblem(bytes) {
            throw RequestError(.malformedJSON, field: nil, encodingProblem)
        }
        var parser = JSONParser(bytes)
        return try parser.parseDocument()
    }

    /// Why `bytes` are not UTF-8 text, or nil when they are.
    private static func encodingProblem(_ bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            return "the file starts with a byte order mark; a request is UTF-8 without one"
        }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            return "the file starts with a UTF-16 or UTF-32 byte order mark; a request is UTF-8"
        }
        if bytes.prefix(4).contains(0) && bytes.count >= 2 {
            return "the file has NUL bytes among its first characters (UTF-16 or UTF-32?); a request is UTF-8"
        }
        if String(validating: bytes, as: UTF8.self) == nil {
            return "the file is not valid UTF-8"
        }
        return nil
    }

    /// A short name of the value's JSON type, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer: "an integer"
        case .number: "a fractional number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
