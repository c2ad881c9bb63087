import ArgumentParser
import Logging
import MaiLogging

/// Options for the program's own log lines, shared by every subcommand.
struct LoggingOptions: ParsableArguments, SettingsGroup {
    @Option(name: .long, parsing: .unconditional, help: help("Log line format: text or json (default text).", "log-format"),
            transform: LogFormatValue.checked)
    var logFormat: LogFormatValue?

    @Option(name: .long, parsing: .unconditional, help: help("Tag in every log line (default mai-entrypoint).", "log-tag"),
            transform: LineTag.checked)
    var logTag: LineTag?

    @Option(name: .long, parsing: .unconditional, help: help("Lowest level written: debug, info, warning or error (default info).", "log-level"),
            transform: LogLevel.checked)
    var logLevel: LogLevel?

    static func settings(_ given: Self?, _ environment: OptionEnvironment) throws(UsageError) -> LogSettings {
        var settings = LogSettings()
        if let format = try resolve(given?.logFormat, "log-format", environment) { settings.format = format.format }
        if let level = try resolve(given?.logLevel, "log-level", environment) { settings.level = level.level }
        if let tag = try resolve(given?.logTag, "log-tag", environment) { settings.tag = tag.text }
        return settings
    }
}

/// A command whose lines follow `--log-format` and `--log-tag`: its fatal line too.
protocol LoggingCommand {
    var logging: LoggingOptions { get }
}

extension RunCommand: LoggingCommand {}
extension EnvCommand: LoggingCommand {}
extension StatusCommand: LoggingCommand {}
extension InitDBCommand: LoggingCommand {}
extension BackupsCommand: LoggingCommand {}
extension RestoreCommand: LoggingCommand {}
