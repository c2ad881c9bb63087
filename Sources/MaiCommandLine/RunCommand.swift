import ArgumentParser
import MaiEnvironment
import MaiLogging
import MaiOpenWebUI
import MaiSQL
import MaiSupervision
import MaiUsageTracking

/// `mai-entrypoint [OPTIONS] [--] COMMAND [ARGS...]`: run COMMAND as a supervised child.
struct RunCommand: ParsableCommand, SettingsGroup {
    static let configuration = CommandConfiguration(
        commandName: "mai-entrypoint",
        abstract: "PID 1 for mAI containers: runs COMMAND under supervision.",
        usage: "mai-entrypoint [OPTIONS] [--] COMMAND [ARGS...]\n  mai-entrypoint SUBCOMMAND [OPTIONS]",
        discussion: """
            SUBCOMMANDS (first argument only; SUBCOMMAND --help for each one's options):
            \(subcommandSummaries.map { "  " + $0.name.padding(12) + $0.summary }.joined(separator: "\n"))

            Every option can also be set by the environment variable named beside it; the command line wins.
            Everything after -- is the command, even a word that names a subcommand.

            EXIT STATUS: the child's exit status, or 128+N when it was killed by signal N (143 for TERM);
            2 for a usage error; 126 when COMMAND cannot be run, 127 when it is not found;
            1 when the server could not work (a DATA_DIR the --user cannot write, an unusable secret key file).
            """,
        version: programVersion)

    @OptionGroup var supervision: SupervisionOptions

    @OptionGroup var logging: LoggingOptions

    @OptionGroup var environmentFiles: EnvironmentFileOptions

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var readiness: ReadinessOptions

    @OptionGroup var dataSafety: DataSafetyOptions

    @OptionGroup var serverUser: ServerUserOptions

    /// Where the command starts is found by the parser: at the first word that is neither a known option nor
    /// its value, or after `--` (which it keeps, first). Only the position is used: the command itself is taken
    /// from the raw arguments, byte for byte.
    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The command to supervise, with its arguments.", valueName: "COMMAND"))
    var command: [String] = []

    /// Every option and `MAI_ENTRYPOINT_*` variable, checked, before anything else happens. Without options no
    /// group of the parser's is so much as passed on: a nil command taken apart still has the Swift runtime make
    /// the metadata of the parser's generic option types (1.5% of a plain start, `scripts/bench`).
    static func settings(_ given: Self?, _ environment: OptionEnvironment) throws(UsageError) -> RunSettings {
        guard let given else {
            return RunSettings(logging: try LoggingOptions.settings(nil, environment),
                               supervisor: try SupervisionOptions.settings(nil, environment),
                               environmentRequest: try EnvironmentFileOptions.settings(nil, environment),
                               database: try DatabaseOptions.settings(nil, environment),
                               readiness: try ReadinessOptions.settings(nil, environment),
                               dataSafety: try DataSafetyOptions.settings(nil, environment),
                               serverUser: try ServerUserOptions.settings(nil, environment))
        }
        return RunSettings(logging: try given.logging.settings(environment),
                           supervisor: try given.supervision.settings(environment),
                           environmentRequest: try given.environmentFiles.settings(environment),
                           database: try given.database.settings(environment),
                           readiness: try given.readiness.settings(environment),
                           dataSafety: try given.dataSafety.settings(environment),
                           serverUser: try given.serverUser.settings(environment))
    }

    /// How many of the arguments, from the end, are the command: the parser's capture without the `--` it keeps.
    var commandLength: Int { command.first == "--" ? command.count - 1 : command.count }

    /// A captured first word that looks like an option is one the parser does not know (the parser stops at it).
    func unknownOption() -> String? {
        guard let first = command.first, first.hasPrefix("-"), first != "-", first != "--" else { return nil }
        return first
    }
}

/// The run's options and variables, every one checked.
struct RunSettings: Sendable {
    var logging: LogSettings
    var supervisor: SupervisorConfiguration
    var environmentRequest: EnvironmentRequest
    var database: DatabaseSettings
    var readiness: ReadinessSettings
    var dataSafety: DataSafetySettings
    var serverUser: ServerUserSettings
}

/// Help text that names the option's environment variable too.
func help(_ text: String, _ option: String) -> ArgumentHelp {
    ArgumentHelp("\(text) (env: \(OptionEnvironment.variable(for: option)))")
}

/// Help for an option that takes seconds.
func seconds(_ text: String, _ option: String) -> ArgumentHelp {
    ArgumentHelp("\(text) (env: \(OptionEnvironment.variable(for: option)))", valueName: "S")
}

extension String {
    /// The text followed by spaces up to `width` characters (at least one space).
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: Swift.max(1, width - count)) }
}
