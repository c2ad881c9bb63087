import ArgumentParser
import Logging
import MaiLogging
import MaiSupervision
import MaiSystem

/// `mai-entrypoint [OPTIONS] [--] COMMAND [ARGS...]`: run COMMAND as a supervised child.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mai-entrypoint",
        abstract: "PID 1 for mAI containers: runs COMMAND under supervision.",
        usage: "mai-entrypoint [OPTIONS] [--] COMMAND [ARGS...]\n  mai-entrypoint SUBCOMMAND [OPTIONS]",
        discussion: """
            Every option can also be set by the environment variable named beside it; the command line wins.
            Everything after -- is the command, even a word that names a subcommand.

            EXIT STATUS: the child's exit status, or 128+N when it was killed by signal N (143 for TERM);
            2 for a usage error; 126 when COMMAND cannot be run, 127 when it is not found.
            """,
        version: programVersion)

    @Option(name: .long, help: help("Seconds the child has after the first TERM or INT before its process group is killed (default 8).", "stop-timeout"))
    var stopTimeout: String?

    @Option(name: .long, help: help("Seconds the processes the child left behind have between TERM and KILL (default 2).", "orphan-grace"))
    var orphanGrace: String?

    @Flag(name: .long, help: help("Forward signals to the child's whole process group.", "signal-group"))
    var signalGroup = false

    @Flag(name: .long, help: help("Exit 0 when the child dies of the TERM or INT forwarded to stop it.", "clean-stop-status"))
    var cleanStopStatus = false

    @Option(name: .customLong("tag-child-output"), help: ArgumentHelp(
        "Prefix each line of the child's stdout and stderr with [TAG]; write --tag-child-output=TAG, or the option alone for [webui]. (env: \(OptionEnvironment.variable(for: "tag-child-output")))",
        valueName: "TAG"))
    var tagChildOutput: String?

    @OptionGroup var logging: LoggingOptions

    @OptionGroup var environmentFiles: EnvironmentFileOptions

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var readiness: ReadinessOptions

    /// Split off by EntryPoint before parsing, so that nothing in it is ever read as an option.
    var command: [String] = []

    static let optionsTakingValues = Set<String>([
        "--stop-timeout", "--orphan-grace", "--log-format", "--log-tag", "--log-level", "--env-file", "--secret-file-vars",
        "--init-backoff", "--init-timeout",
    ]).union(ReadinessOptions.optionsTakingValues)

    enum CodingKeys: CodingKey {
        case stopTimeout, orphanGrace, signalGroup, cleanStopStatus, tagChildOutput, logging, environmentFiles, database, readiness
    }

    func run() throws {
        let environment = OptionEnvironment(processEnvironment())
        bootstrapLogging(try logging.settings(environment))
        var configuration = try supervisorConfiguration(environment)
        let databaseSettings = try database.settings(environment)
        guard !command.isEmpty else { throw UsageError("no command given: use mai-entrypoint [OPTIONS] -- COMMAND [ARGS...]") }
        let logger = Logger(label: "mai-entrypoint")
        // Before anything slow: a TERM during start-up then waits in the inbox instead of killing the process.
        let inbox = try SignalInbox()
        try announceStart(logger: logger)
        let loaded = try environmentFiles.load(environment, processEnvironment: currentEnvironment(), logger: logger)
        configuration.environment = loaded.environment
        configuration.readiness = try readiness.configuration(environment, variables: environmentDictionary(loaded.environment))
        try initializeBeforeStart(environment: environmentDictionary(loaded.environment),
                                  options: databaseSettings, inbox: inbox)
        throw ExitCode(try superviseCommand(command, configuration: configuration, inbox: inbox, logger: logger))
    }

    func supervisorConfiguration(_ environment: OptionEnvironment) throws(UsageError) -> SupervisorConfiguration {
        var configuration = SupervisorConfiguration()
        if let value = try seconds(stopTimeout, "stop-timeout", environment) { configuration.stopTimeout = value }
        if let value = try seconds(orphanGrace, "orphan-grace", environment) { configuration.orphanGrace = value }
        let groupFromEnvironment = try environment.flag("signal-group") ?? false
        let cleanFromEnvironment = try environment.flag("clean-stop-status") ?? false
        configuration.signalGroup = signalGroup || groupFromEnvironment
        configuration.cleanStopStatus = cleanStopStatus || cleanFromEnvironment
        configuration.outputTag = try outputTag(environment)
        return configuration
    }

    private func outputTag(_ environment: OptionEnvironment) throws(UsageError) -> String? {
        if let tagChildOutput { return tagChildOutput }
        guard let value = environment.string("tag-child-output") else { return nil }
        switch value.lowercased() {
        case "1", "true", "yes", "on": return "webui"
        case "0", "false", "no", "off": return nil
        default: return value
        }
    }
}

func seconds(_ value: String?, _ option: String, _ environment: OptionEnvironment) throws(UsageError) -> Duration? {
    guard let value else { return try environment.seconds(option) }
    guard let duration = parseSeconds(value) else { throw UsageError("--\(option) \(value) is not a number of seconds") }
    return duration
}

/// Help text that names the option's environment variable too.
func help(_ text: String, _ option: String) -> ArgumentHelp {
    ArgumentHelp("\(text) (env: \(OptionEnvironment.variable(for: option)))")
}
