/// Why a request file was refused; `reason` is the stable code written into the `.error` report.
public struct RequestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable reason code.
    public struct Reason: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let malformedJSON = Reason(rawValue: "malformed_json")
        public static let notAnObject = Reason(rawValue: "not_an_object")
        public static let unknownKind = Reason(rawValue: "unknown_kind")
        public static let missingField = Reason(rawValue: "missing_field")
        public static let wrongType = Reason(rawValue: "wrong_type")
        public static let outOfRange = Reason(rawValue: "out_of_range")
        public static let invalidValue = Reason(rawValue: "invalid_value")
    }

    public var reason: Reason
    /// The JSON path of the offending field, for example `lines[3].delta`; nil for the whole file.
    public var field: String?
    public var message: String

    public init(_ reason: Reason, field: String?, _ message: String) {
        self.reason = reason
        self.field = field
        self.message = message
    }

    public var description: String {
        if let field { return "\(field): \(message)" }
        return message
    }
}
