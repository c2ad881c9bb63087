/// A value as written, before its `$` references are replaced: parsed when the line is read, so that a
/// malformed `${` is reported with its line, and expanded once the earlier lines are known.
enum TemplatePiece: Sendable, Equatable {
    case text(String)
    case variable(name: String, fallback: Fallback?)
}

/// The `default` of `${VAR:-default}` (used when VAR is unset or empty) or `${VAR-default}` (only unset).
struct Fallback: Sendable, Equatable {
    let whenEmpty: Bool
    let pieces: [TemplatePiece]
}

/// Parses `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}` and `$$` (a literal `$`, as in Compose).
/// A `$` that starts none of these is kept, so that passwords with a `$` survive.
struct TemplateParser {
    /// Compose allows any nesting; a bound keeps a hostile file from exhausting the stack.
    static let depthLimit = 32

    private let scalars: [Unicode.Scalar]
    private let name: String
    private var index = 0

    static func parse(_ scalars: [Unicode.Scalar], name: String) throws(SyntaxProblem) -> [TemplatePiece] {
        var parser = TemplateParser(scalars: scalars, name: name)
        return try parser.pieces(depth: 0, insideBraces: false)
    }

    private init(scalars: [Unicode.Scalar], name: String) {
        self.scalars = scalars
        self.name = name
    }

    private mutating func pieces(depth: Int, insideBraces: Bool) throws(SyntaxProblem) -> [TemplatePiece] {
        var pieces: [TemplatePiece] = []
        var text = String.UnicodeScalarView()
        while index < scalars.count {
            let scalar = scalars[index]
            if insideBraces && scalar == "}" {
                index += 1
                flush(&text, into: &pieces)
                return pieces
            }
            guard scalar == "$" else {
                text.append(scalar)
                index += 1
                continue
            }
            switch try dollar(depth: depth) {
            case .text(let literal): text.append(contentsOf: literal.unicodeScalars)
            case let variable:
                flush(&text, into: &pieces)
                pieces.append(variable)
            }
        }
        if insideBraces { throw .unterminatedExpansion(name: name) }
        flush(&text, into: &pieces)
        return pieces
    }

    private func flush(_ text: inout String.UnicodeScalarView, into pieces: inout [TemplatePiece]) {
        guard !text.isEmpty else { return }
        pieces.append(.text(String(text)))
        text = String.UnicodeScalarView()
    }

    /// Reads what starts at a `$`.
    private mutating func dollar(depth: Int) throws(SyntaxProblem) -> TemplatePiece {
        index += 1
        guard index < scalars.count else { return .text("$") }
        switch scalars[index] {
        case "$":
            index += 1
            return .text("$")
        case "{":
            index += 1
            return try braced(depth: depth)
        case let scalar where isNameStart(scalar):
            return .variable(name: readName(), fallback: nil)
        default:
            return .text("$")
        }
    }

    private mutating func braced(depth: Int) throws(SyntaxProblem) -> TemplatePiece {
        guard depth < Self.depthLimit else { throw .expansionTooDeep(name: name, limit: Self.depthLimit) }
        guard index < scalars.count else { throw .unterminatedExpansion(name: name) }
        guard isNameStart(scalars[index]) else { throw .invalidExpansion(name: name) }
        let variable = readName()
        switch (peek(0), peek(1)) {
        case ("}", _):
            index += 1
            return .variable(name: variable, fallback: nil)
        case (":", "-"):
            index += 2
            return .variable(name: variable, fallback: Fallback(whenEmpty: true, pieces: try pieces(depth: depth + 1, insideBraces: true)))
        case ("-", _):
            index += 1
            return .variable(name: variable, fallback: Fallback(whenEmpty: false, pieces: try pieces(depth: depth + 1, insideBraces: true)))
        case (nil, _), (":", nil):
            throw .unterminatedExpansion(name: name)
        default:
            throw .invalidExpansion(name: name)
        }
    }

    private func peek(_ offset: Int) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private mutating func readName() -> String {
        var name = String.UnicodeScalarView()
        while index < scalars.count, isNameStart(scalars[index]) || ("0"..."9").contains(scalars[index]) {
            name.append(scalars[index])
            index += 1
        }
        return String(name)
    }
}

/// Names that `$` can refer to are shell names: letters, digits and `_`, not starting with a digit.
private func isNameStart(_ scalar: Unicode.Scalar) -> Bool {
    scalar == "_" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
}

/// Replaces references by values, within bounds: a value must fit in what Linux passes to a program, and the
/// whole load may produce only so much text, so that lines like `A=${A}${A}` end in an error, not a hang.
struct Expander {
    /// MAX_ARG_STRLEN (32 pages) includes the terminating NUL of `KEY=VALUE`.
    static let entryLimit = 32 * 4096 - 1
    static let totalLimit = 16 * 1024 * 1024

    private var remaining = Expander.totalLimit

    mutating func expand(_ pieces: [TemplatePiece], name: String, lookup: (String) -> String?) throws(SyntaxProblem) -> String {
        var result = ""
        try append(pieces, to: &result, name: name, lookup: lookup)
        return result
    }

    private mutating func append(
        _ pieces: [TemplatePiece], to result: inout String, name: String, lookup: (String) -> String?
    ) throws(SyntaxProblem) {
        for piece in pieces {
            switch piece {
            case .text(let text): try add(text, to: &result, name: name)
            case .variable(let variable, let fallback):
                let value = lookup(variable)
                if let fallback, value == nil || (fallback.whenEmpty && value == "") {
                    try append(fallback.pieces, to: &result, name: name, lookup: lookup)
                } else if let value {
                    try add(value, to: &result, name: name)
                }
            }
        }
    }

    private mutating func add(_ text: String, to result: inout String, name: String) throws(SyntaxProblem) {
        remaining -= text.utf8.count
        guard remaining >= 0 else { throw .expansionBudgetExceeded(name: name, limit: Self.totalLimit) }
        result += text
        try Self.checkLength(name: name, value: result)
    }

    static func checkLength(name: String, value: String) throws(SyntaxProblem) {
        if name.utf8.count + 1 + value.utf8.count > entryLimit { throw .valueTooLong(name: name, limit: entryLimit) }
    }
}
