/// What the config text must be before TOMLKit sees it: toml++ (inside TOMLKit 0.6.0) stops the whole process on
/// an assertion (undefined behaviour where assertions are off) when a table header does not start with a key,
/// as in `[(x]` or `[\u{FFFD}x]` (both found by `make fuzz`), and a config is reread on every reload. TOML 1.0
/// allows non-ASCII only in strings and comments and a header only of keys, so this finds the first character
/// that breaks either rule, and the config is refused with its line instead.
enum TOMLPrecheck {
    /// The 1-based line and column of the first non-ASCII character outside a string or a comment, of a NUL byte
    /// anywhere (no TOML document holds one), or of a table header's first character that cannot start a key;
    /// nil when there is none.
    static func firstForeignCharacter(in text: String) -> (line: Int, column: Int)? {
        enum State {
            case code
            case comment
            case basic
            case literal
            case multilineBasic
            case multilineLiteral
        }
        let scalars = Array(text.unicodeScalars)
        var state = State.code
        var line = 1
        var column = 0
        var index = 0
        /// Brackets and braces open in a value (an array, an inline table): a `[` there is not a header.
        var depth = 0
        /// Nothing but spaces and tabs since the line began.
        var lineStart = true
        func next(_ offset: Int) -> Character? {
            index + offset < scalars.count ? Character(scalars[index + offset]) : nil
        }
        func starts(_ quote: Character) -> Bool { next(1) == quote && next(2) == quote }
        while index < scalars.count {
            let scalar = scalars[index]
            column += 1
            if scalar == "\0" { return (line, column) }
            switch state {
            case .code:
                if !scalar.isASCII { return (line, column) }
                if scalar == "[" && depth == 0 && lineStart {
                    // A table header, `[key]` or `[[key]]`: its first key starts with a bare-key character or a
                    // quote.
                    var offset = next(1) == "[" ? 2 : 1
                    while next(offset) == " " || next(offset) == "\t" { offset += 1 }
                    guard let first = next(offset), first.isASCII,
                        first.isLetter || first.isNumber || first == "_" || first == "-" || first == "\""
                            || first == "'"
                    else { return (line, column + offset) }
                    index += offset - 1
                    column += offset - 1
                } else if scalar == "[" || scalar == "{" {
                    depth += 1
                } else if scalar == "]" || scalar == "}" {
                    depth = max(0, depth - 1)
                } else if scalar == "#" {
                    state = .comment
                } else if scalar == "\"" {
                    state = starts("\"") ? .multilineBasic : .basic
                    if state == .multilineBasic { index += 2 }
                } else if scalar == "'" {
                    state = starts("'") ? .multilineLiteral : .literal
                    if state == .multilineLiteral { index += 2 }
                }
            case .comment:
                break
            case .basic:
                if scalar == "\\" {
                    index += 1
                } else if scalar == "\"" || scalar == "\n" {
                    state = .code
                }
            case .literal:
                if scalar == "'" || scalar == "\n" { state = .code }
            case .multilineBasic:
                if scalar == "\\" {
                    index += 1
                } else if scalar == "\"" && starts("\"") {
                    state = .code
                    index += 2
                }
            case .multilineLiteral:
                if scalar == "'" && starts("'") {
                    state = .code
                    index += 2
                }
            }
            if scalar != " " && scalar != "\t" { lineStart = false }
            if index < scalars.count && scalars[index] == "\n" {
                line += 1
                column = 0
                lineStart = true
                if state == .comment { state = .code }
            }
            index += 1
        }
        return nil
    }
}
