/// One `KEY=VALUE` line (or several, for a quoted value over lines) of an env file. `value` is nil for a
/// `KEY` alone, which takes its value from the process environment.
struct DotEnvBinding: Sendable, Equatable {
    let name: String
    let value: [TemplatePiece]?
    let line: Int
}

/// Reads env files with the syntax that both Docker Compose's `env_file` and python-dotenv accept. Where the
/// two disagree on what a quoted value means, python-dotenv is followed, since Open WebUI reads the same files
/// with it; the deliberate exceptions are listed in docs/environment.md.
struct DotEnvParser {
    private let scalars: [Unicode.Scalar]
    private let file: String
    private var index = 0
    private var line = 1

    static func parse(_ bytes: [UInt8], file: String) throws(EnvironmentError) -> [DotEnvBinding] {
        var parser = DotEnvParser(scalars: try decodeEnvText(bytes, file: file), file: file)
        return try parser.bindings()
    }

    private init(scalars: [Unicode.Scalar], file: String) {
        self.scalars = scalars
        self.file = file
    }

    private mutating func bindings() throws(EnvironmentError) -> [DotEnvBinding] {
        var result: [DotEnvBinding] = []
        while true {
            skip(while: isSpace)
            guard let first = peek() else { return result }
            if first == "#" {
                skip { $0 != "\n" }
            } else {
                result.append(try binding())
            }
        }
    }

    private mutating func binding() throws(EnvironmentError) -> DotEnvBinding {
        let start = line
        skipExport()
        let name = try key()
        skip(while: isBlank)
        guard peek() == "=" else {
            try endOfLine(orFail: .textAfterName(name: name))
            return DotEnvBinding(name: name, value: nil, line: start)
        }
        index += 1
        skip(while: isBlank)
        let value = try self.value(of: name, startingOn: start)
        return DotEnvBinding(name: name, value: value, line: start)
    }

    /// `export ` is dropped; `export` alone is a variable of that name, as in python-dotenv.
    private mutating func skipExport() {
        let word: [Unicode.Scalar] = ["e", "x", "p", "o", "r", "t"]
        guard scalars[index...].starts(with: word), let after = peek(word.count), isBlank(after) else { return }
        index += word.count
        skip(while: isBlank)
    }

    private mutating func key() throws(EnvironmentError) -> String {
        let quoted = peek() == "'"
        if quoted { index += 1 }
        let start = index
        skip { quoted ? $0 != "'" && $0 != "\n" : !(isSpace($0) || $0 == "=" || $0 == "#") }
        let name = scalars[start..<index]
        if quoted {
            guard peek() == "'" else { throw failure(.missingName) }
            index += 1
        }
        guard !name.isEmpty else { throw failure(.missingName) }
        if let bad = name.first(where: { !isNameScalar($0) }) { throw failure(.invalidNameCharacter(bad)) }
        return String(String.UnicodeScalarView(name))
    }

    private mutating func value(of name: String, startingOn start: Int) throws(EnvironmentError) -> [TemplatePiece] {
        switch peek() {
        case "'":
            let inner = try quoted("'", name: name, startingOn: start)
            try endOfLine(orFail: .textAfterQuotedValue(name: name))
            return [.text(String(String.UnicodeScalarView(decodeSingleQuoted(inner))))]
        case "\"":
            let inner = try quoted("\"", name: name, startingOn: start)
            try endOfLine(orFail: .textAfterQuotedValue(name: name))
            return try template(decodeDoubleQuoted(inner), name: name, line: start)
        default:
            let begin = index
            skip { $0 != "\n" }
            let raw = withoutInlineComment(scalars[begin..<index])
            try endOfLine(orFail: .missingName)
            return try template(raw, name: name, line: start)
        }
    }

    private func template(_ scalars: [Unicode.Scalar], name: String, line: Int) throws(EnvironmentError) -> [TemplatePiece] {
        do {
            return try TemplateParser.parse(scalars, name: name)
        } catch {
            throw .syntax(SourceLocation(file: file, line: line), error)
        }
    }

    /// The text between a quote and its closing quote, which may be lines later. Like python-dotenv's regular
    /// expression, `\` before the quote escapes it, and when no bare closing quote follows, the last escaped one
    /// closes the value (so `'C:\dir\'` is `C:\dir\`). Inside double quotes `\\` is one escaped backslash, as
    /// Docker Compose reads it, so `"D:\\backups\\"` ends at its last quote (python-dotenv runs on to a later one).
    private mutating func quoted(_ quote: Unicode.Scalar, name: String, startingOn start: Int) throws(EnvironmentError) -> [Unicode.Scalar] {
        let begin = index + 1
        var cursor = begin
        var lastEscapedQuote: Int?
        while cursor < scalars.count && scalars[cursor] != quote {
            if scalars[cursor] == "\\" && cursor + 1 < scalars.count {
                if scalars[cursor + 1] == quote {
                    lastEscapedQuote = cursor + 1
                    cursor += 1
                } else if quote == "\"" && scalars[cursor + 1] == "\\" {
                    cursor += 1
                }
            }
            cursor += 1
        }
        guard let close = cursor < scalars.count ? cursor : lastEscapedQuote else {
            throw .syntax(SourceLocation(file: file, line: start), .unterminatedQuote(name: name, quote: Character(quote)))
        }
        let inner = Array(scalars[begin..<close])
        line += inner.lazy.filter { $0 == "\n" }.count
        index = close + 1
        return inner
    }

    /// After a value or a bare name only blanks and a `#` comment may follow on the line.
    private mutating func endOfLine(orFail problem: SyntaxProblem) throws(EnvironmentError) {
        skip(while: isBlank)
        if peek() == "#" { skip { $0 != "\n" } }
        guard let next = peek() else { return }
        guard next == "\n" else { throw failure(problem) }
        index += 1
        line += 1
    }

    private func failure(_ problem: SyntaxProblem) -> EnvironmentError {
        .syntax(SourceLocation(file: file, line: line), problem)
    }

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private mutating func skip(while condition: (Unicode.Scalar) -> Bool) {
        while index < scalars.count && condition(scalars[index]) {
            if scalars[index] == "\n" { line += 1 }
            index += 1
        }
    }
}

/// Letters, digits, `_`, `.` and `-`: what Compose accepts in a name. python-dotenv takes any run of
/// characters without whitespace, `=` or `#`, but a name with `"`, `:` or `/` is a typo, not a variable.
private func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
    if scalar.isASCII {
        return ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            || scalar == "_" || scalar == "." || scalar == "-"
    }
    return scalar.properties.isAlphabetic || scalar.properties.numericType != nil
}

/// An unquoted value ends at the first `#` that follows whitespace; trailing whitespace is dropped.
private func withoutInlineComment(_ raw: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
    var end = raw.endIndex
    var position = raw.startIndex
    while position < raw.endIndex {
        if raw[position] == "#" && position > raw.startIndex && isSpace(raw[position - 1]) {
            end = position
            break
        }
        position += 1
    }
    var value = raw[raw.startIndex..<end]
    while let last = value.last, isSpace(last) { value = value.dropLast() }
    return Array(value)
}

/// python-dotenv's escapes in single quotes: only `\\` and `\'`.
private func decodeSingleQuoted(_ inner: [Unicode.Scalar]) -> [Unicode.Scalar] {
    decodeEscapes(inner) { $0 == "\\" || $0 == "'" ? [$0] : nil }
}

/// python-dotenv's escapes in double quotes, plus Compose's `\$` for a `$` that is not expanded (turned into
/// `$$`, which the template parser reads as a literal `$`).
private func decodeDoubleQuoted(_ inner: [Unicode.Scalar]) -> [Unicode.Scalar] {
    decodeEscapes(inner) { escaped in
        switch escaped {
        case "\\", "'", "\"": [escaped]
        case "a": ["\u{07}"]
        case "b": ["\u{08}"]
        case "f": ["\u{0C}"]
        case "n": ["\n"]
        case "r": ["\r"]
        case "t": ["\t"]
        case "v": ["\u{0B}"]
        case "$": ["$", "$"]
        default: nil
        }
    }
}

/// Replaces each `\` + character that `meaning` knows, left to right; an unknown escape stays as written.
private func decodeEscapes(_ inner: [Unicode.Scalar], _ meaning: (Unicode.Scalar) -> [Unicode.Scalar]?) -> [Unicode.Scalar] {
    var result: [Unicode.Scalar] = []
    result.reserveCapacity(inner.count)
    var position = 0
    while position < inner.count {
        if inner[position] == "\\", position + 1 < inner.count, let decoded = meaning(inner[position + 1]) {
            result.append(contentsOf: decoded)
            position += 2
        } else {
            result.append(inner[position])
            position += 1
        }
    }
    return result
}
