import ArgumentParser
import Logging
import MaiLogging

/// Options for the program's own log lines, shared by every subcommand.
struct LoggingOptions: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: help("Log line format: text or json (default text).", "log-format"),
            transform: LogFormatValue.checked)
    var logFormat: LogFormatValue?

    @Option(name: .long, parsing: .unconditional, help: help("Tag in every log line (default mai-entrypoint).", "log-tag"))
    var logTag: String?

    @Option(name: .long, parsing: .unconditional, help: help("Lowest level written: debug, info, warning or error (default info).", "log-level"),
            transform: LogLevel.checked)
    var logLevel: LogLevel?

    func settings(_ environment: OptionEnvironment) throws(UsageError) -> LogSettings {
        var settings = LogSettings()
        if let format = try resolve(logFormat, "log-format", environment) { settings.format = format.format }
        if let level = try resolve(logLevel, "log-level", environment) { settings.level = level.level }
        if let tag = logTag ?? environment.string("log-tag") { settings.tag = tag }
        return settings
    }
}
