import ArgumentParser
import Logging
import MaiHealth
import MaiLogging
import MaiSystem

/// A value that an option and its `MAI_ENTRYPOINT_*` variable both take, checked by one rule when the command
/// line is parsed and when the variable is read, whatever the other options say.
protocol OptionValue: ExpressibleByArgument, Sendable {
    /// The value, or what is wrong with the text ("not a number of seconds").
    static func parse(_ text: String) throws(OptionValueError) -> Self
}

extension OptionValue {
    init?(argument: String) {
        guard let value = try? Self.parse(argument) else { return nil }
        self = value
    }

    /// For `@Option(transform:)`: swift-argument-parser then says which value of which option is wrong, and why.
    static func checked(_ text: String) throws -> Self { try parse(text) }
}

/// Why an option's or a variable's text is not a value; the caller names the option or the variable.
struct OptionValueError: Error, CustomStringConvertible, Sendable {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Seconds as operators write them: `8`, `0.5`, `2s`; never negative, NaN or infinite.
struct Seconds: OptionValue, Equatable {
    let duration: Duration

    static func parse(_ text: String) throws(OptionValueError) -> Seconds {
        guard let duration = parseSeconds(text) else { throw OptionValueError("not a number of seconds (write 8, 0.5 or 2s)") }
        return Seconds(duration: duration)
    }
}

/// Seconds as operators write them: `8`, `0.5`, `2s`.
public func parseSeconds(_ text: String) -> Duration? {
    let trimmed = text.hasSuffix("s") ? String(text.dropLast()) : text
    guard let value = Double(trimmed), value >= 0, value.isFinite, value < 1e9 else { return nil }
    return .milliseconds(Int64((value * 1000).rounded()))
}

/// `text` or `json`.
struct LogFormatValue: OptionValue, Equatable {
    let format: LogFormat

    static func parse(_ text: String) throws(OptionValueError) -> LogFormatValue {
        guard let format = LogFormat(rawValue: text.lowercased()) else { throw OptionValueError("use text or json") }
        return LogFormatValue(format: format)
    }
}

/// A tag written in every line (`--log-tag`, `--tag-child-output=TAG`): a control character in it would split
/// every line or reach the terminal raw, so it is refused rather than escaped in each line.
struct LineTag: OptionValue, Equatable {
    let text: String

    static func parse(_ text: String) throws(OptionValueError) -> LineTag {
        guard !text.unicodeScalars.contains(where: isControlCharacter) else {
            throw OptionValueError("a tag cannot hold a control character")
        }
        return LineTag(text: text)
    }
}

/// The four levels the options name (`warn` is taken for `warning`).
struct LogLevel: OptionValue, Equatable {
    let level: Logger.Level

    static let names: [String: Logger.Level] = ["debug": .debug, "info": .info, "warning": .warning, "warn": .warning, "error": .error]

    static func parse(_ text: String) throws(OptionValueError) -> LogLevel {
        guard let level = names[text.lowercased()] else { throw OptionValueError("use debug, info, warning or error") }
        return LogLevel(level: level)
    }
}

/// `--health-url`: a URL to probe, or `off`. The default (Open WebUI's own endpoint on PORT) is chosen later,
/// from the merged environment, since PORT may come from an env file.
enum HealthURLSetting: OptionValue, Equatable {
    case off
    case url(HealthURL)

    static func parse(_ text: String) throws(OptionValueError) -> HealthURLSetting {
        if text.lowercased() == "off" { return .off }
        do {
            return .url(try HealthURL(text))
        } catch {
            throw OptionValueError(error.description)
        }
    }
}

/// Variable names, comma separated, with or without `_FILE`: `OPENROUTER_API_KEY` and `OPENROUTER_API_KEY_FILE`
/// mean the same.
struct SecretVariableNames: OptionValue, Equatable {
    let names: [String]

    static func parse(_ text: String) throws(OptionValueError) -> SecretVariableNames {
        var names: [String] = []
        for item in commaSeparated(text) {
            let name = item.hasSuffix("_FILE") ? String(item.dropLast(5)) : item
            guard isVariableName(name) else { throw OptionValueError("\(item) is not a variable name") }
            names.append(name)
        }
        return SecretVariableNames(names: names)
    }
}

/// The command line's value if given, else the variable's; the variable is checked in both cases, so that a
/// mistake in the container's configuration is reported even while the command line hides it.
func resolve<Value: OptionValue>(_ commandLine: Value?, _ option: String, _ environment: OptionEnvironment) throws(UsageError) -> Value? {
    let fromEnvironment = try environment.value(option, as: Value.self)
    return commandLine ?? fromEnvironment
}

func commaSeparated(_ text: String?) -> [String] {
    guard let text else { return [] }
    return text.split(separator: ",").map { $0.trimmingBlanks() }.filter { !$0.isEmpty }
}

private func isVariableName(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
    return name.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
}

extension Substring {
    fileprivate func trimmingBlanks() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

/// An option group whose settings the command line and the `MAI_ENTRYPOINT_*` variables give together. `given`
/// is nil when the command line held no option at all: `mai-entrypoint -- COMMAND`, the image's ENTRYPOINT,
/// whose settings all come from the environment. That run never builds the parser's option table, which
/// swift-argument-parser makes by reflection over every option (a third of the start-up in `scripts/bench`).
protocol SettingsGroup {
    associatedtype Settings
    static func settings(_ given: Self?, _ environment: OptionEnvironment) throws(UsageError) -> Settings
}

extension SettingsGroup {
    /// The settings with what the command line gave.
    func settings(_ environment: OptionEnvironment) throws(UsageError) -> Settings { try Self.settings(self, environment) }
}
