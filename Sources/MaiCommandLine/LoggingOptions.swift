import ArgumentParser
import Logging
import MaiLogging

/// Options for the program's own log lines, shared by every subcommand.
struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: help("Log line format: text or json (default text).", "log-format"))
    var logFormat: String?

    @Option(name: .long, help: help("Tag in every log line (default mai-entrypoint).", "log-tag"))
    var logTag: String?

    @Option(name: .long, help: help("Lowest level written: debug, info, warning or error (default info).", "log-level"))
    var logLevel: String?

    func settings(_ environment: OptionEnvironment) throws(UsageError) -> LogSettings {
        var settings = LogSettings()
        if let text = logFormat ?? environment.string("log-format") {
            guard let format = LogFormat(rawValue: text.lowercased()) else {
                throw UsageError("\(source("log-format", logFormat)) \(text): use text or json")
            }
            settings.format = format
        }
        if let text = logLevel ?? environment.string("log-level") {
            guard let level = LoggingOptions.levels[text.lowercased()] else {
                throw UsageError("\(source("log-level", logLevel)) \(text): use debug, info, warning or error")
            }
            settings.level = level
        }
        if let tag = logTag ?? environment.string("log-tag") { settings.tag = tag }
        return settings
    }

    static let levels: [String: Logger.Level] = ["debug": .debug, "info": .info, "warning": .warning, "warn": .warning, "error": .error]

    /// Names where a bad value came from: the option, or its environment variable.
    private func source(_ option: String, _ commandLineValue: String?) -> String {
        commandLineValue != nil ? "--\(option)" : OptionEnvironment.variable(for: option)
    }
}
