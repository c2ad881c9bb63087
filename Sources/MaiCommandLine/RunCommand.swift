import ArgumentParser
import MaiEnvironment
import MaiLogging
import MaiOpenWebUI
import MaiSQL
import MaiSupervision
import MaiUsageTracking

/// `mai-entrypoint [OPTIONS] [--] COMMAND [ARGS...]`: run COMMAND as a supervised child.
struct RunCommand: ParsableCommand {
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

    @Option(name: .long, parsing: .unconditional, help: seconds("Seconds the child has after the first TERM or INT before its process group is killed (default 8).", "stop-timeout"),
            transform: Seconds.checked)
    var stopTimeout: Seconds?

    @Option(name: .long, parsing: .unconditional, help: seconds("Seconds the processes the child left behind have between TERM and KILL (default 2).", "orphan-grace"),
            transform: Seconds.checked)
    var orphanGrace: Seconds?

    @Option(name: .long, parsing: .unconditional, help: seconds("Seconds a first TERM to a ready server waits before it is forwarded, while `healthcheck` fails so that load balancers stop sending requests; a second TERM or an INT forwards at once; the stop timeout counts from the forward (default 0).", "drain"),
            transform: Seconds.checked)
    var drain: Seconds?

    @Flag(name: .long, help: help("Forward signals to the child's whole process group.", "signal-group"))
    var signalGroup = false

    @Flag(name: .long, help: help("Exit 0 when the child dies of the TERM or INT forwarded to stop it.", "clean-stop-status"))
    var cleanStopStatus = false

    /// Only `--tag-child-output=TAG` takes a value; EntryPoint turns the option alone into `=webui` before parsing.
    @Option(name: .customLong("tag-child-output"), help: ArgumentHelp(
        "Prefix each line of the child's stdout and stderr with [TAG]; write --tag-child-output=TAG, or the option alone for [webui]. (env: \(OptionEnvironment.variable(for: "tag-child-output")))",
        valueName: "TAG"), transform: LineTag.checked)
    var tagChildOutput: LineTag?

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

    /// Every option and `MAI_ENTRYPOINT_*` variable, checked, before anything else happens.
    func settings(_ environment: OptionEnvironment) throws(UsageError) -> RunSettings {
        RunSettings(logging: try logging.settings(environment),
                    supervisor: try supervisorConfiguration(environment),
                    environmentRequest: try environmentFiles.request(environment),
                    database: try database.settings(environment),
                    readiness: try readiness.settings(environment),
                    dataSafety: try dataSafety.settings(environment),
                    serverUser: try serverUser.settings(environment))
    }

    func supervisorConfiguration(_ environment: OptionEnvironment) throws(UsageError) -> SupervisorConfiguration {
        var configuration = SupervisorConfiguration()
        if let value = try resolve(stopTimeout, "stop-timeout", environment) { configuration.stopTimeout = value.duration }
        if let value = try resolve(orphanGrace, "orphan-grace", environment) { configuration.orphanGrace = value.duration }
        if let value = try resolve(drain, "drain", environment) { configuration.drain = value.duration }
        configuration.signalGroup = try environment.flag(signalGroup, "signal-group")
        configuration.cleanStopStatus = try environment.flag(cleanStopStatus, "clean-stop-status")
        configuration.outputTag = try outputTag(environment)
        return configuration
    }

    /// The variable is checked even when the command line sets the tag, as every option's variable is.
    private func outputTag(_ environment: OptionEnvironment) throws(UsageError) -> String? {
        let fromEnvironment: String?
        switch environment.string("tag-child-output")?.lowercased() {
        case nil, "0", "false", "no", "off": fromEnvironment = nil
        case "1", "true", "yes", "on": fromEnvironment = "webui"
        default: fromEnvironment = try environment.value("tag-child-output", as: LineTag.self)?.text
        }
        return tagChildOutput?.text ?? fromEnvironment
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
