import MaiSystem

/// Every option can also come from `MAI_ENTRYPOINT_<OPTION>`: containers are configured by environment.
/// The command line wins over the variable; a bad value names the variable. Read from the process environment
/// (not from env files), first entry winning as with `getenv`.
public struct OptionEnvironment: Sendable {
    public static let prefix = "MAI_ENTRYPOINT_"
    private let block: EnvironmentBlock

    public init(_ block: EnvironmentBlock) { self.block = block }


    /// `stop-timeout` → `MAI_ENTRYPOINT_STOP_TIMEOUT`
    public static func variable(for option: String) -> String {
        prefix + option.uppercased().replacing("-", with: "_")
    }

    /// The variable's text; an empty one counts as unset.
    func string(_ option: String) -> String? {
        guard let value = block[Self.variable(for: option)], !value.isEmpty else { return nil }
        return value
    }

    /// The variable's value, checked by the same rule as the option's.
    func value<Value: OptionValue>(_ option: String, as type: Value.Type) throws(UsageError) -> Value? {
        guard let text = string(option) else { return nil }
        do {
            return try Value.parse(text)
        } catch {
            throw UsageError("\(Self.variable(for: option))=\(text): \(error.description)")
        }
    }

    func flag(_ option: String) throws(UsageError) -> Bool? {
        guard let value = string(option) else { return nil }
        switch value.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw UsageError("\(Self.variable(for: option))=\(value) is not a boolean (use true or false)")
        }
    }
}

/// A mistake in how the program was called: exit status 2, one line.
public struct UsageError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
