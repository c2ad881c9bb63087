/// Where a variable or a problem comes from: a line of an env file.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

/// What is wrong with a line of an env file. No case carries a value: errors are printed, values may be secrets.
public enum SyntaxProblem: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidUTF8
    case nulCharacter
    case missingName
    case invalidNameCharacter(Unicode.Scalar)
    case unterminatedQuote(name: String, quote: Character)
    case textAfterQuotedValue(name: String)
    case textAfterName(name: String)
    case unterminatedExpansion(name: String)
    case invalidExpansion(name: String)
    case expansionTooDeep(name: String, limit: Int)
    case valueTooLong(name: String, limit: Int)
    case expansionBudgetExceeded(name: String, limit: Int)

    public var description: String {
        switch self {
        case .invalidUTF8: "not valid UTF-8 text"
        case .nulCharacter: "contains a NUL byte, which no environment variable can hold"
        case .missingName: "expected a variable name (KEY=VALUE)"
        case .invalidNameCharacter(let scalar):
            "\(describe(scalar)) is not allowed in a variable name (use letters, digits, _ . -)"
        case .unterminatedQuote(let name, let quote):
            "the \(quote == "'" ? "single" : "double")-quoted value of \(name) has no closing \(quote)"
        case .textAfterQuotedValue(let name): "unexpected text after the quoted value of \(name) (a comment needs #)"
        case .textAfterName(let name): "expected = after \(name)"
        case .unterminatedExpansion(let name): "${ without a closing } in the value of \(name) (write $$ for a literal $)"
        case .invalidExpansion(let name):
            "unsupported ${...} in the value of \(name): use ${VAR}, ${VAR:-default} or ${VAR-default}"
        case .expansionTooDeep(let name, let limit): "the value of \(name) nests ${...} more than \(limit) deep"
        case .valueTooLong(let name, let limit): "\(name)=VALUE is longer than \(limit) bytes, the most Linux passes to a program"
        case .expansionBudgetExceeded(let name, let limit):
            "expanding \(name) brings the expanded values of this load over \(limit) bytes"
        }
    }
}

/// Why the environment could not be built. Each description is one line an operator can act on, and names
/// files, lines and variables but never a value.
public enum EnvironmentError: Error, Sendable, Equatable, CustomStringConvertible {
    case fileUnreadable(path: String, reason: String)
    case syntax(SourceLocation, SyntaxProblem)
    case secretConflict(variable: String, fileVariable: String)
    case secretUnreadable(variable: String, path: String, reason: String)

    public var description: String {
        switch self {
        case .fileUnreadable(let path, let reason): "cannot read env file \(path): \(reason)"
        case .syntax(let location, let problem): "\(location): \(problem)"
        case .secretConflict(let variable, let fileVariable):
            "both \(variable) and \(fileVariable) are set: set only one of them"
        case .secretUnreadable(let variable, let path, let reason):
            "cannot read the secret file \(path) named by \(variable)_FILE: \(reason)"
        }
    }
}

/// A character as an error message can show it: printable ones quoted, others by code point.
func describe(_ scalar: Unicode.Scalar) -> String {
    let hex = String(scalar.value, radix: 16, uppercase: true)
    let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    let printable = scalar.isASCII ? (0x21...0x7E).contains(scalar.value) : scalar.properties.isAlphabetic
    return printable ? "'\(scalar)' (\(code))" : code
}
