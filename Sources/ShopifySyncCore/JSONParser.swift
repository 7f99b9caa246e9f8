/// A strict RFC 8259 parser over UTF-8 bytes, for request files.
///
/// Unlike Foundation's `JSONDecoder`, it refuses a key twice in one object (naming its path), trailing commas
/// and anything after the value, and it keeps `1.0` and `1e2` apart from the integers `1` and `100`. Nesting is
/// limited to ``maxDepth`` levels, so a hostile file cannot exhaust the stack. The input must already be
/// valid UTF-8 (``JSONValue/parse(_:)`` checks it).
struct JSONParser {
    /// The deepest nesting of arrays and objects accepted; a request needs three levels.
    static let maxDepth = 64

    private enum PathComponent {
        case key(String)
        case index(Int)
    }

    private let bytes: [UInt8]
    private var index = 0
    /// Where the parser is, for naming a duplicate key's path.
    private var path: [PathComponent] = []

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses the whole input as one JSON value, with only whitespace around it.
    mutating func parseDocument() throws(RequestError) -> JSONValue {
        skipWhitespace()
        if index == bytes.count {
            throw problem(bytes.isEmpty ? "the file is empty" : "the file holds only whitespace")
        }
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard index == bytes.count else { throw problem("unexpected \(describeCurrent()) after the JSON value") }
        return value
    }

    // MARK: - Values

    private mutating func parseValue(depth: Int) throws(RequestError) -> JSONValue {
        guard index < bytes.count else { throw problem("unexpected end of file (the file is cut short)") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try parseLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try parseLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try parseLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw problem("unexpected \(describeCurrent()) where a value was expected")
        }
    }

    private mutating func parseObject(depth: Int) throws(RequestError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw problem("nested deeper than \(Self.maxDepth) levels") }
        index += 1
        var fields: [String: JSONValue] = [:]
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return .object(fields) }
        while true {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw problem("expected a key in double quotes, got \(describeCurrent())")
            }
            let key = try parseString()
            if fields[key] != nil {
                path.append(.key(key))
                throw problem("the key \"\(key)\" appears twice in one object", field: renderedPath())
            }
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else {
                throw problem("expected ':' after a key, got \(describeCurrent())")
            }
            skipWhitespace()
            path.append(.key(key))
            fields[key] = try parseValue(depth: depth)
            path.removeLast()
            skipWhitespace()
            if consume(UInt8(ascii: "}")) { return .object(fields) }
            guard consume(UInt8(ascii: ",")) else {
                throw problem("expected ',' or '}' in an object, got \(describeCurrent())")
            }
            skipWhitespace()
        }
    }

    private mutating func parseArray(depth: Int) throws(RequestError) -> JSONValue {
        guard depth <= Self.maxDepth else { throw problem("nested deeper than \(Self.maxDepth) levels") }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if consume(UInt8(ascii: "]")) { return .array(elements) }
        while true {
            path.append(.index(elements.count))
            elements.append(try parseValue(depth: depth))
            path.removeLast()
            skipWhitespace()
            if consume(UInt8(ascii: "]")) { return .array(elements) }
            guard consume(UInt8(ascii: ",")) else {
                throw problem("expected ',' or ']' in an array, got \(describeCurrent())")
            }
            skipWhitespace()
        }
    }

    private mutating func parseLiteral(_ word: String, _ value: JSONValue) throws(RequestError) -> JSONValue {
        let expected = Array(word.utf8)
        guard bytes.count - index >= expected.count, bytes[index..<index + expected.count].elementsEqual(expected)
        else { throw problem("unexpected \(describeCurrent()) where a value was expected") }
        index += expected.count
        return value
    }

    // MARK: - Numbers

    /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`; without a fraction or an exponent, an integer when it
    /// fits in `Int`.
    private mutating func parseNumber() throws(RequestError) -> JSONValue {
        let start = index
        _ = consume(UInt8(ascii: "-"))
        guard index < bytes.count, Self.isDigit(bytes[index]) else {
            throw problem("expected a digit, got \(describeCurrent())")
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, Self.isDigit(bytes[index]) { throw problem("a number with a leading zero") }
        } else {
            skipDigits()
        }
        var isInteger = true
        if consume(UInt8(ascii: ".")) {
            isInteger = false
            guard index < bytes.count, Self.isDigit(bytes[index]) else {
                throw problem("expected a digit after '.', got \(describeCurrent())")
            }
            skipDigits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, Self.isDigit(bytes[index]) else {
                throw problem("expected a digit in an exponent, got \(describeCurrent())")
            }
            skipDigits()
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger, let integer = Int(text) { return .integer(integer) }
        // Valid JSON number text always reads as a Double (an infinite one beyond its range).
        return .number(Double(text) ?? .infinity)
    }

    private mutating func skipDigits() {
        while index < bytes.count, Self.isDigit(bytes[index]) { index += 1 }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    // MARK: - Strings

    private mutating func parseString() throws(RequestError) -> String {
        index += 1
        var result: [UInt8] = []
        while true {
            guard index < bytes.count else { throw problem("unexpected end of file inside a string") }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: result, as: UTF8.self)
            case UInt8(ascii: "\\"):
                index += 1
                try parseEscape(into: &result)
            case 0..<0x20:
                throw problem("unescaped control character \(Self.hex(byte)) inside a string")
            default:
                result.append(byte)
                index += 1
            }
        }
    }

    private mutating func parseEscape(into result: inout [UInt8]) throws(RequestError) {
        guard index < bytes.count else { throw problem("unexpected end of file inside a string") }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): result.append(byte)
        case UInt8(ascii: "b"): result.append(0x08)
        case UInt8(ascii: "f"): result.append(0x0C)
        case UInt8(ascii: "n"): result.append(0x0A)
        case UInt8(ascii: "r"): result.append(0x0D)
        case UInt8(ascii: "t"): result.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"),
                    bytes[index + 1] == UInt8(ascii: "u")
                else { throw problem("a high surrogate \\u\(String(scalar, radix: 16)) without its low surrogate") }
                index += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw problem("a high surrogate followed by \\u\(String(low, radix: 16)), not a low surrogate")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw problem("a low surrogate \\u\(String(scalar, radix: 16)) without its high surrogate")
            }
            // Not a surrogate, so always a Unicode scalar.
            result.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8))
        default:
            index -= 1
            throw problem("unknown escape \\\(describeCurrent())")
        }
    }

    private mutating func parseHex4() throws(RequestError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw problem("unexpected end of file in a \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw problem("expected 4 hexadecimal digits after \\u, got \(describeCurrent())")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    // MARK: - Helpers

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Consumes `byte` when it is next.
    private mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// The byte at the current position, for messages: a printable character in quotes, else its code.
    private func describeCurrent() -> String {
        guard index < bytes.count else { return "the end of the file" }
        let byte = bytes[index]
        if byte == 0 { return "a NUL byte" }
        if (0x21..<0x7F).contains(byte) { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte \(Self.hex(byte))"
    }

    private static func hex(_ byte: UInt8) -> String {
        "0x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true)
    }

    /// The path of the value being parsed, as request errors name fields (`lines[3].delta`).
    private func renderedPath() -> String {
        var text = ""
        for component in path {
            switch component {
            case .key(let key): text += text.isEmpty ? key : ".\(key)"
            case .index(let position): text += "[\(position)]"
            }
        }
        return text
    }

    /// A `malformed_json` refusal at the current position (line and column count from 1).
    private func problem(_ what: String, field: String? = nil) -> RequestError {
        let position = min(index, bytes.count)
        var line = 1
        var lineStart = 0
        for offset in 0..<position where bytes[offset] == 0x0A {
            line += 1
            lineStart = offset + 1
        }
        return RequestError(
            .malformedJSON,
            field: field,
            "not valid JSON: \(what) at line \(line), column \(position - lineStart + 1) (byte \(position))"
        )
    }
}
