import Foundation
import Glibc
import Testing

@Suite("Command line")
struct SupervisionCommandLineTests {
    @Test("no command: a clear error and exit status 2")
    func noCommand() throws {
        for arguments in [[], ["--"], ["--stop-timeout", "3"]] {
            let run = try runProgram(arguments)
            #expect(run.process.terminationStatus == 2)
            #expect(run.stderr.contains("no command given"))
            #expect(run.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test("a command that is not found exits 127, one that cannot run 126, each with one line naming it")
    func commandCannotStart() throws {
        let missing = try runProgram(["--", "no-such-command-xyz"], pidNamespace: true)
        #expect(missing.process.terminationStatus == 127)
        #expect(missing.stderr.contains("cannot run no-such-command-xyz: command not found"))

        let directory = try makeTemporaryDirectory()
        let script = directory.appendingPathComponent("not-executable.sh").path
        _ = FileManager.default.createFile(atPath: script, contents: Data("echo hi\n".utf8), attributes: [.posixPermissions: 0o644])
        let denied = try runProgram(["--", script], pidNamespace: true)
        #expect(denied.process.terminationStatus == 126)
        #expect(denied.stderr.contains("cannot run \(script): permission denied"))
        #expect(denied.stdout.isEmpty)
    }

    @Test("--version prints the version; --help lists every option with its environment variable")
    func versionAndHelp() throws {
        let version = try runProgram(["--version"])
        #expect(version.process.terminationStatus == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)

        let help = try runProgram(["--help"])
        #expect(help.process.terminationStatus == 0)
        for option in ["stop-timeout", "orphan-grace", "signal-group", "clean-stop-status", "tag-child-output",
                       "log-format", "log-tag", "log-level"] {
            #expect(help.stdout.contains("--\(option)"))
            let variable = "MAI_ENTRYPOINT_" + option.uppercased().replacingOccurrences(of: "-", with: "_")
            #expect(help.stdout.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "  ", with: "")
                .contains(variable), "\(variable) missing from --help")
        }
    }

    @Test("everything after -- is the command, even a subcommand's name or an option")
    func doubleDashEndsOptions() throws {
        let run = try runProgram(["--", "env"], environment: ["MARKER": "after-double-dash"])
        #expect(run.process.terminationStatus == 0)
        #expect(run.stdout.contains("MARKER=after-double-dash"))

        let options = try runProgram(["--", "sh", "-c", "echo \"$0 $1\"", "--version", "--help"])
        #expect(options.stdout == "--version --help\n")
    }

    @Test("options after the command belong to the command")
    func optionsAfterCommand() throws {
        let run = try runProgram(["sh", "-c", "echo $0", "--stop-timeout"])
        #expect(run.process.terminationStatus == 0)
        #expect(run.stdout == "--stop-timeout\n")
    }

    @Test("bad option values name the option or the environment variable and exit 2")
    func badValues() throws {
        let option = try runProgram(["--stop-timeout", "soon", "--", "true"])
        #expect(option.process.terminationStatus == 2)
        #expect(option.stderr.contains("'soon' is invalid for '--stop-timeout <S>': not a number of seconds"))

        let variable = try runProgram(["--", "true"], environment: ["MAI_ENTRYPOINT_LOG_FORMAT": "xml"])
        #expect(variable.process.terminationStatus == 2)
        #expect(variable.stderr.contains("MAI_ENTRYPOINT_LOG_FORMAT"))

        let unknown = try runProgram(["--no-such-option", "--", "true"])
        #expect(unknown.process.terminationStatus == 2)
    }
}
