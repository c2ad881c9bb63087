import Foundation
import Glibc
import Testing

/// Issue 19, point 7: a command that cannot be found is reported before anything touches the data (no key, no
/// lock, no wait for another run's lock, no chown), with the PATH the child would get.
@Suite("A mistyped subcommand or command")
struct MistypedCommandTests {
    @Test("`stauts` under a running server: 127 at once, one line with `did you mean status?`, no key, no wait")
    func mistypedSubcommand() throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.head)
        let first = try data.start(["--", "sleep", "60"])
        try first.waitForLog("child started")
        try FileManager.default.removeItem(atPath: data.dataDirectory + "/.webui_secret_key")

        let typo = try data.run(["stauts"], ["MAI_ENTRYPOINT_GATE_TIMEOUT": "3"])
        #expect(typo.process.terminationStatus == 127, "\(typo.stderr)")
        #expect(typo.stderrLines.count == 1, "\(typo.stderr)")
        #expect(typo.stderr.contains("cannot run stauts: command not found; did you mean status?"), "\(typo.stderr)")
        #expect(!FileManager.default.fileExists(atPath: data.dataDirectory + "/.webui_secret_key"))
        try first.signal(SIGTERM)
        #expect(try first.wait() == 143)
    }

    @Test("a word two edits away from any subcommand gets no suggestion")
    func noSuggestion() throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.head)
        let run = try data.run(["--", "no-such-command-here"])
        #expect(run.process.terminationStatus == 127)
        #expect(run.stderrLines.count == 1, "\(run.stderr)")
        #expect(run.stderr.contains("cannot run no-such-command-here: command not found"))
        #expect(!run.stderr.contains("did you mean"))
        #expect(!FileManager.default.fileExists(atPath: data.dataDirectory + "/.mai-entrypoint.lock"))
        #expect(!FileManager.default.fileExists(atPath: data.dataDirectory + "/.webui_secret_key"))
    }

    @Test("with --user and --chown-data, a command not found changes no owner")
    func notFoundAsUser() throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.head)
        let run = try data.run(["--user", "4300:4301", "--chown-data", "--", "backpus"])
        #expect(run.process.terminationStatus == 127, "\(run.stderr)")
        #expect(run.stderr.contains("did you mean backups?"), "\(run.stderr)")
        var info = stat()
        #expect(stat(data.databasePath, &info) == 0 && info.st_uid == 0, "the database was handed over")
    }

    @Test("the command is looked up in the PATH the child gets (set in an env file)")
    func pathOfTheChild() throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.head)
        let tools = data.root + "/tools"
        try FileManager.default.createDirectory(atPath: tools, withIntermediateDirectories: true)
        try "#!/bin/sh\necho found-it\n".write(toFile: tools + "/only-here", atomically: true, encoding: .utf8)
        chmod(tools + "/only-here", 0o755)
        try "PATH=\(tools):/usr/bin:/bin\n".write(toFile: data.root + "/paths.env", atomically: true, encoding: .utf8)
        let run = try runProgram(["--env-file", data.root + "/paths.env", "--env-override", "--", "only-here"],
                                 environment: data.environment(), workingDirectory: data.root)
        #expect(run.process.terminationStatus == 0, "\(run.stderr)")
        #expect(run.stdout == "found-it\n")
    }

    @Test("--help lists every subcommand, one line each")
    func helpListsSubcommands() throws {
        let run = try runProgram(["--help"])
        #expect(run.process.terminationStatus == 0)
        for name in ["env", "init-db", "status", "healthcheck", "backups", "restore"] {
            let lines = run.stdout.split(separator: "\n").filter { $0.hasPrefix("  \(name) ") }
            #expect(lines.count == 1, "\(name) in:\n\(run.stdout)")
        }
    }
}
