import MaiSystem

/// Every option can also come from `MAI_ENTRYPOINT_<OPTION>`: containers are configured by environment.
/// The command line wins over the variable; a bad value names the variable (and the env file line it came
/// from). Read from the process environment, first entry winning as with `getenv`, completed by what the env
/// files set (see `EnvironmentFileOptions.optionEnvironment`).
public struct OptionEnvironment: Sendable {
    public static let prefix = "MAI_ENTRYPOINT_"
    /// The `MAI_ENTRYPOINT_*` entries, first entry winning as `getenv` finds it; their names are ASCII, so an entry
    /// whose name is not is none of them (and a Unicode equivalent, `K` written as the Kelvin sign, never matches).
    /// Collected in one pass: the options look up some 30 names at every start, and most containers set none.
    private let variables: [String: String]
    /// Where a variable that an env file set comes from: `.env:3`.
    private let sources: [String: String]

    public init(_ block: EnvironmentBlock, sources: [String: String] = [:]) {
        var variables: [String: String] = [:]
        let prefix = Array(Self.prefix.utf8)
        for entry in block.entries where entry.starts(with: prefix) {
            let name = EnvironmentBlock.name(of: entry)
            guard name.endIndex < entry.endIndex, name.allSatisfy({ $0 < 0x80 }) else { continue }
            let key = String(decoding: name, as: UTF8.self)
            if variables[key] == nil { variables[key] = String(decoding: entry[(name.endIndex + 1)...], as: UTF8.self) }
        }
        self.variables = variables
        self.sources = sources
    }

    /// Whether an env file set one of the variables: else they are the process environment's alone.
    var setByFiles: Bool { !sources.isEmpty }

    /// The variable's name as an error line gives it: `MAI_ENTRYPOINT_STOP_TIMEOUT` (`… in .env:3`).
    func describe(_ option: String) -> String {
        let name = Self.variable(for: option)
        return sources[name].map { "\(name) in \($0)" } ?? name
    }

    /// `NAME=value` as an error line gives it, with the env file line it came from.
    private func assignment(_ option: String, _ text: String) -> String {
        let name = Self.variable(for: option)
        return "\(name)=\(text)" + (sources[name].map { " (\($0))" } ?? "")
    }

    /// `stop-timeout` → `MAI_ENTRYPOINT_STOP_TIMEOUT`
    /// Every option's help text names its variable, so this runs for each option at every start: a plain map,
    /// not the generic `replacing`, which cost 3% of the start-up (`scripts/bench`).
    public static func variable(for option: String) -> String {
        prefix + String(option.uppercased().map { $0 == "-" ? "_" : $0 })
    }

    /// The variable's text; an empty one counts as unset.
    func string(_ option: String) -> String? {
        guard !variables.isEmpty, let value = variables[Self.variable(for: option)], !value.isEmpty else { return nil }
        return value
    }

    /// The variable's value, checked by the same rule as the option's.
    func value<Value: OptionValue>(_ option: String, as type: Value.Type) throws(UsageError) -> Value? {
        guard let text = string(option) else { return nil }
        do {
            return try Value.parse(text)
        } catch {
            throw UsageError("\(assignment(option, text)): \(error.description)")
        }
    }

    /// A flag given on the command line, or by its variable. The variable is checked even when the command line
    /// sets the flag, as every option's variable is.
    /// `given` is nil when the command line held no option at all (see `SettingsGroup`).
    func flag(_ given: Bool?, _ option: String) throws(UsageError) -> Bool {
        let fromEnvironment = try flag(option) ?? false
        return given == true || fromEnvironment
    }

    func flag(_ option: String) throws(UsageError) -> Bool? {
        guard let value = string(option) else { return nil }
        switch value.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw UsageError("\(assignment(option, value)) is not a boolean (use true or false)")
        }
    }
}

/// A mistake in how the program was called: exit status 2, one line.
public struct UsageError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
