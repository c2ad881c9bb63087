/// Every option can also come from `MAI_ENTRYPOINT_<OPTION>`: containers are configured by environment.
/// The command line wins over the variable; a bad value names the variable.
public struct OptionEnvironment: Sendable {
    public static let prefix = "MAI_ENTRYPOINT_"
    let values: [String: String]

    public init(_ values: [String: String]) { self.values = values }

    /// `stop-timeout` → `MAI_ENTRYPOINT_STOP_TIMEOUT`
    public static func variable(for option: String) -> String {
        prefix + option.uppercased().replacing("-", with: "_")
    }

    func string(_ option: String) -> String? {
        guard let value = values[Self.variable(for: option)], !value.isEmpty else { return nil }
        return value
    }

    func flag(_ option: String) throws(UsageError) -> Bool? {
        guard let value = string(option) else { return nil }
        switch value.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw UsageError("\(Self.variable(for: option))=\(value) is not a boolean (use true or false)")
        }
    }

    func seconds(_ option: String) throws(UsageError) -> Duration? {
        guard let value = string(option) else { return nil }
        guard let duration = parseSeconds(value) else {
            throw UsageError("\(Self.variable(for: option))=\(value) is not a number of seconds")
        }
        return duration
    }
}

/// Seconds as operators write them: `8`, `0.5`, `2s`.
public func parseSeconds(_ text: String) -> Duration? {
    let trimmed = text.hasSuffix("s") ? String(text.dropLast()) : text
    guard let value = Double(trimmed), value >= 0, value.isFinite, value < 1e9 else { return nil }
    return .milliseconds(Int64((value * 1000).rounded()))
}

/// A mistake in how the program was called: exit status 2, one line.
public struct UsageError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
