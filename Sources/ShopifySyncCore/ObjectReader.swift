/// Reads the fields of one JSON object by name, remembering which were read so the rest become warnings.
struct ObjectReader {
    private let fields: [String: JSONValue]
    private let prefix: String?
    private var seen: Set<String> = []
    var warnings: [String] = []

    init(_ value: JSONValue, path: String?) throws(RequestError) {
        guard case .object(let fields) = value else {
            throw RequestError(.notAnObject, field: path, "expected an object, got \(value.typeName)")
        }
        self.fields = fields
        self.prefix = path
    }

    func path(_ key: String) -> String {
        if let prefix { return "\(prefix).\(key)" }
        return key
    }

    /// Records every field that was not read as an "ignored unknown field" warning.
    mutating func finish() {
        for key in fields.keys.sorted() where !seen.contains(key) {
            warnings.append("ignored unknown field \(path(key))")
        }
    }

    private mutating func value(_ key: String) -> JSONValue? {
        seen.insert(key)
        guard let value = fields[key], value != .null else { return nil }
        return value
    }

    mutating func requiredString(_ key: String, nonEmpty: Bool = false) throws(RequestError) -> String {
        guard let string = try optionalString(key, nonEmpty: nonEmpty) else {
            throw RequestError(.missingField, field: path(key), "required, expected a string")
        }
        return string
    }

    mutating func optionalString(_ key: String, nonEmpty: Bool = false) throws(RequestError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let string) = value else {
            throw RequestError(.wrongType, field: path(key), "expected a string, got \(value.typeName)")
        }
        if nonEmpty && string.isEmpty {
            throw RequestError(.invalidValue, field: path(key), "expected a non-empty string")
        }
        if let control = string.unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
            let code = String(control.value, radix: 16, uppercase: true)
            throw RequestError(
                .invalidValue,
                field: path(key),
                "expected no control characters, got U+\(String(repeating: "0", count: max(0, 4 - code.count)))\(code)"
            )
        }
        return string
    }

    mutating func requiredInteger(_ key: String) throws(RequestError) -> Int {
        guard let value = value(key) else {
            throw RequestError(.missingField, field: path(key), "required, expected an integer")
        }
        switch value {
        case .integer(let integer):
            return integer
        case .number(let number) where !(number.magnitude <= 1_000_000_000):
            throw RequestError(
                .outOfRange,
                field: path(key),
                "expected an integer within +-1,000,000,000, got \(number)"
            )
        default:
            throw RequestError(.wrongType, field: path(key), "expected an integer, got \(value.typeName)")
        }
    }

    mutating func optionalBool(_ key: String) throws(RequestError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let bool) = value else {
            throw RequestError(.wrongType, field: path(key), "expected true or false, got \(value.typeName)")
        }
        return bool
    }

    mutating func requiredArray(_ key: String) throws(RequestError) -> [JSONValue] {
        guard let value = value(key) else {
            throw RequestError(.missingField, field: path(key), "required, expected an array")
        }
        guard case .array(let array) = value else {
            throw RequestError(.wrongType, field: path(key), "expected an array, got \(value.typeName)")
        }
        return array
    }

    mutating func optionalObject(_ key: String) throws(RequestError) -> ObjectReader? {
        guard let value = value(key) else { return nil }
        return try ObjectReader(value, path: path(key))
    }
}
