import ArgumentParser
import Glibc

/// Parses the command line and runs what it names. The first argument selects a subcommand; anything else
/// (and everything after `--`) is the supervised command, so `ENTRYPOINT ["mai-entrypoint", "--"]` is never
/// mistaken for a subcommand.
public enum EntryPoint {
    static let subcommands: [String: any ParsableCommand.Type] = [
        "env": EnvCommand.self, "init-db": InitDBCommand.self, "status": StatusCommand.self,
        "healthcheck": HealthcheckCommand.self,
    ]

    public static func main(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        if let first = arguments.first, let type = subcommands[first] {
            runSubcommand(type, Array(arguments.dropFirst()))
        }
        let (options, command) = splitCommand(arguments)
        run(RunCommand.self, options) { $0.command = command }
    }

    private static func runSubcommand<Command: ParsableCommand>(_ type: Command.Type, _ arguments: [String]) -> Never {
        run(type, arguments) { _ in }
    }

    private static func run<Command: ParsableCommand>(
        _ type: Command.Type, _ arguments: [String], prepare: (inout Command) -> Void
    ) -> Never {
        do {
            var command = try type.parse(arguments)
            prepare(&command)
            try command.run()
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

    /// Splits `[OPTIONS] [--] COMMAND [ARGS...]`: the command starts after `--` or at the first word that is
    /// neither an option nor an option's value. `--tag-child-output` alone means the default tag.
    static func splitCommand(_ arguments: [String]) -> (options: [String], command: [String]) {
        var options: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" { return (options, Array(arguments[(index + 1)...])) }
            guard argument.hasPrefix("-") && argument != "-" else { break }
            options.append(argument == "--tag-child-output" ? "--tag-child-output=webui" : argument)
            if RunCommand.optionsTakingValues.contains(argument), index + 1 < arguments.count {
                options.append(arguments[index + 1])
                index += 1
            }
            index += 1
        }
        return (options, Array(arguments[index...]))
    }

    static func fail(_ message: String, status: Int32) -> Never {
        writeLine("mai-entrypoint: error: \(message)", to: STDERR_FILENO)
        exit(status)
    }

    static func writeLine(_ text: String, to fd: Int32) {
        var line = text.hasSuffix("\n") ? text : text + "\n"
        line.withUTF8 { _ = write(fd, $0.baseAddress, $0.count) }
    }
}

