import ArgumentParser
import Glibc
import Logging
import MaiLogging
import MaiSystem

/// What every command gets from `main`: the arguments and the environment as raw bytes, and the inbox in which
/// every signal has waited since the program's first instruction.
public struct StartContext {
    public let arguments: [[UInt8]]
    public let environment: EnvironmentBlock
    public let inbox: SignalInbox

    public init(arguments: [[UInt8]], environment: EnvironmentBlock, inbox: SignalInbox) {
        self.arguments = arguments
        self.environment = environment
        self.inbox = inbox
    }
}

/// A subcommand that runs with what `main` set up.
protocol StartedCommand: ParsableCommand {
    func execute(_ context: StartContext) throws
}

/// Parses the command line and runs what it names. The first argument selects a subcommand; anything else
/// (and everything after `--`) is the supervised command, so `ENTRYPOINT ["mai-entrypoint", "--"]` is never
/// mistaken for a subcommand.
public enum EntryPoint {
    public static func main(_ context: StartContext) -> Never {
        if let first = context.arguments.first { runSubcommand(displayText(first), context) }
        if let command = plainCommand(context.arguments) {
            finish(RunCommand.self) {
                knowLogSettingsEarly(nil, context.environment)
                try supervise(command, options: nil, context)
            }
        }
        let rewritten = parserArguments(context.arguments).map { $0 == "--tag-child-output" ? "--tag-child-output=webui" : $0 }
        run(RunCommand.self, rewritten, context) { options throws in
            switch options.unknownOption() {
            case nil: break
            // The capture stops before the parser's own --help and --version: they are answered here.
            case "--help", "-h": throw CleanExit.helpRequest(RunCommand.self)
            // Written here: the parser's path for a CleanExit builds its help twice (a fifth of `--version`).
            case "--version": writeLine(programVersion, to: STDOUT_FILENO); exit(0)
            case let option?: throw UsageError("unknown option \(option)")
            }
            try supervise(Array(context.arguments.suffix(options.commandLength)), options: options, context)
        }
    }

    /// Runs the subcommand the first argument names, if it names one. A switch, not a table of types: each
    /// metatype in a table is looked up by the Swift runtime at start (2% of it in `scripts/bench`).
    private static func runSubcommand(_ name: String, _ context: StartContext) {
        var arguments: [String] { parserArguments(context.arguments.dropFirst()) }
        switch name {
        // What the parser would answer too, whatever follows (its capture ends at the first unknown option).
        case "--version": writeLine(programVersion, to: STDOUT_FILENO); exit(0)
        case "init-db": run(InitDBCommand.self, arguments, context) { try $0.execute(context) }
        case "restore": run(RestoreCommand.self, arguments, context) { try $0.execute(context) }
        case "move-to-postgresql": run(MoveToPostgresCommand.self, arguments, context) { try $0.execute(context) }
        // These end at once on TERM or INT: they start nothing, and may wait on a socket or a database.
        case "env": runShort(EnvCommand.self, arguments, context)
        case "status": runShort(StatusCommand.self, arguments, context)
        case "healthcheck": runShort(HealthcheckCommand.self, arguments, context)
        case "backups": runShort(BackupsCommand.self, arguments, context)
        default: return
        }
    }

    /// Options are parsed as text; only the program's own reading of them is affected by bytes that are not UTF-8,
    /// never the command, which is taken from the raw arguments.
    private static func parserArguments(_ arguments: some Collection<[UInt8]>) -> [String] { arguments.map(displayText) }

    /// The command when the command line holds no option, as the image's `ENTRYPOINT ["mai-entrypoint", "--"]`
    /// gives it: everything after a first `--`, or everything when the first word is not an option (subcommands
    /// were matched before). The parser would capture the same words; nil sends the arguments to the parser.
    static func plainCommand(_ arguments: [[UInt8]]) -> [[UInt8]]? {
        guard let first = arguments.first else { return nil }
        guard first.elementsEqual("--".utf8) else { return first.first == UInt8(ascii: "-") ? nil : arguments }
        var command = arguments
        command.removeFirst()
        return command
    }

    /// The main run of `command`, or what it turns into: the subcommand it names of this very program, or a
    /// plain exec under a supervisor that already runs.
    private static func supervise(_ command: [[UInt8]], options: RunCommand?, _ context: StartContext) throws -> Never {
        if let subcommand = ownSubcommand(command, environment: context.environment) {
            main(StartContext(arguments: subcommand, environment: context.environment, inbox: context.inbox))
        }
        if !command.isEmpty, let supervisor = SupervisorMarker.liveAncestor(context.environment) {
            try runDirectly(command, under: supervisor, options: options, context: context)
        }
        exit(try runPipeline(options, command: command, context: context))
    }

    /// `mai-entrypoint -- mai-entrypoint restore` (`docker compose run SERVICE mai-entrypoint restore` under the
    /// image's ENTRYPOINT): the command is this very program (the same file as /proc/self/exe) with a subcommand.
    /// The run becomes that subcommand instead of supervising it: it would otherwise take the DATA_DIR lock,
    /// make a key and change owners for a command that starts no server, and the restore would find its own
    /// parent holding the lock. Returns the subcommand's arguments, or nil for any other command.
    static func ownSubcommand(_ command: [[UInt8]], environment: EnvironmentBlock) -> [[UInt8]]? {
        guard command.count >= 2, subcommandSummaries.contains(where: { Array($0.name.utf8) == command[1] }),
              let path = try? resolveExecutable(command[0], searchPath: environment.bytes("PATH").map(Array.init)),
              let file = FileIdentity.of(displayText(path)), let own = FileIdentity.of("/proc/self/exe"), file == own
        else { return nil }
        return Array(command.dropFirst())
    }

    /// A run under a live supervisor (see `SupervisorMarker`) execs its command: the supervisor already reaps,
    /// forwards signals, holds the lock and passed the migration gate; a second run would wait on its own parent.
    private static func runDirectly(_ command: [[UInt8]], under supervisor: pid_t, options: RunCommand?,
                                    context: StartContext) throws -> Never {
        bootstrapLogging(try LoggingOptions.settings(options?.logging, OptionEnvironment(context.environment)))
        let logger = Logger(label: "mai-entrypoint")
        logger.info("already supervised by mai-entrypoint (pid \(supervisor)): running \(displayText(command.first ?? [])) directly")
        let error = replaceProcess(with: command)
        logger.error("\(error.description)", metadata: ["exit_status": .stringConvertible(error.exitStatus)])
        exit(error.exitStatus)
    }

    private static func runShort<Command: ParsableCommand>(_ type: Command.Type, _ arguments: [String], _ context: StartContext) -> Never {
        do {
            try context.inbox.exitOnStopRequests()
        } catch {
            fail("cannot set up signal handling: \(error)", status: 1)
        }
        run(type, arguments, context) { command in
            var command = command
            if let started = command as? any StartedCommand { try started.execute(context) } else { try command.run() }
        }
    }

    private static func run<Command: ParsableCommand>(_ type: Command.Type, _ arguments: [String], _ context: StartContext,
                                                      body: (Command) throws -> Void) -> Never {
        finish(type) {
            let command = try type.parse(arguments)
            if let command = command as? any LoggingCommand { knowLogSettingsEarly(command.logging, context.environment) }
            try body(command)
        }
    }

    /// Runs `work` and exits: 0 when it returns, else with the status and the one line its error calls for.
    private static func finish<Command: ParsableCommand>(_ type: Command.Type, _ work: () throws -> Void) -> Never {
        do {
            try work()
            exit(0)
        } catch let error as UsageError {
            fail(error.description, status: 2)
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch {
            if type.exitCode(for: error) == .success {
                writeLine(type.fullMessage(for: error), to: STDOUT_FILENO)
                exit(0)
            }
            if type.exitCode(for: error) == .validationFailure {
                fail(type.message(for: error), status: (type as? any UsageErrorStatus.Type)?.usageErrorStatus ?? 2)
            }
            fail("\(error)", status: 1)
        }
    }

    /// The log format and tag as the command line and the process environment give them, before any env file is
    /// read: a fatal line from then on (a missing env file, a secret-file conflict) is written in that format.
    /// A bad value is left for the command to report.
    private static func knowLogSettingsEarly(_ given: LoggingOptions?, _ environment: EnvironmentBlock) {
        guard let settings = try? LoggingOptions.settings(given, OptionEnvironment(environment)) else { return }
        KnownLogSettings.set(settings)
    }

    public static func fail(_ message: String, status: Int32) -> Never {
        // One line whatever a value held (the parser's messages quote option values as given, CR and LF
        // included), redacted, and JSON once the format is known to be.
        writeLine(fatalLine(message), to: STDERR_FILENO)
        exit(status)
    }

    /// A line of a subcommand's output (`status`, `backups`, `healthcheck`): redacted and escaped as every log
    /// line is, whatever a value, a path or a server's answer held.
    static func printLine(_ text: String) {
        try? writeAll(STDOUT_FILENO, escapingControlCharacters(LogRedaction.redact(text)) + "\n")
    }

    static func writeLine(_ text: String, to fd: Int32) {
        var line = text.hasSuffix("\n") ? text : text + "\n"
        line.withUTF8 { _ = write(fd, $0.baseAddress, $0.count) }
    }
}
