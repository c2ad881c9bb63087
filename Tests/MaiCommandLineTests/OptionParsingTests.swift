@testable import MaiCommandLine
import MaiOpenWebUI
import MaiSQL
import MaiSystem
import MaiUsageTracking
import Testing

@Suite struct OptionParsingTests {
    @Test func seconds() {
        #expect(parseSeconds("8") == .seconds(8))
        #expect(parseSeconds("0.5") == .milliseconds(500))
        #expect(parseSeconds("2s") == .seconds(2))
        #expect(parseSeconds("-1") == nil)
        #expect(parseSeconds("soon") == nil)
        #expect(parseSeconds("nan") == nil)
        #expect(parseSeconds("inf") == nil)
    }

    @Test func environmentVariableNames() {
        #expect(OptionEnvironment.variable(for: "stop-timeout") == "MAI_ENTRYPOINT_STOP_TIMEOUT")
    }

    /// The parser finds where the command starts; a word it does not know as an option stops it.
    @Test func commandStartsAfterDoubleDashOrAtFirstWord() throws {
        let cases: [([String], Int, String?)] = [
            (["--stop-timeout", "3", "--", "env"], 1, nil),
            (["--signal-group", "bash", "-c", "x"], 3, nil),
            (["--tag-child-output=webui", "uvicorn"], 1, nil),
            (["sh", "--", "x"], 3, nil),
            (["--", "--", "x"], 2, nil),
            (["--log-tag", "--", "--", "x"], 1, nil),
            (["--no-such-option", "--", "x"], 3, "--no-such-option"),
            ([], 0, nil),
        ]
        for (arguments, length, unknown) in cases {
            let command = try RunCommand.parse(arguments)
            #expect(command.commandLength == length, "\(arguments)")
            #expect(command.unknownOption() == unknown, "\(arguments)")
        }
        #expect(throws: (any Error).self) { try RunCommand.parse(["--stop-timeout", "-1", "--", "x"]) }
    }

    /// `--startup-grace abc` was accepted when `--health-url off`; a negative number after a space was a
    /// missing value.
    @Test func everyValueCheckedWhenParsed() {
        for arguments in [["--health-url", "off", "--startup-grace", "abc"], ["--stop-timeout", "-1"], ["--init-timeout", "-3"],
                          ["--log-level", "loud"], ["--log-format", "xml"], ["--health-url", "https://x/health"],
                          ["--secret-file-vars", "A,1B"]] {
            #expect(throws: (any Error).self, "\(arguments)") { try RunCommand.parse(arguments + ["--", "true"]) }
        }
        let message = RunCommand.message(for: parseError(["--stop-timeout", "-1", "--", "true"]))
        #expect(message.contains("not a number of seconds"), "\(message)")
    }

    /// The image's `mai-entrypoint -- COMMAND` skips the parser (issue 23): the command it takes is the one the
    /// parser captures, and any option sends the arguments to the parser.
    @Test func plainCommandIsWhatTheParserCaptures() throws {
        let plain: [[String]] = [
            ["--", "bash", "start.sh"], ["bash", "start.sh"], ["sh", "--", "x"], ["--", "--", "x"], ["--", "--help"],
            ["--", "--version"], ["uvicorn", "--port", "8080"], ["", "x"], ["--"], ["./--not-an-option"],
        ]
        for arguments in plain {
            let taken = try #require(EntryPoint.plainCommand(arguments.map { Array($0.utf8) }), "\(arguments)")
            let parsed = try RunCommand.parse(arguments)
            #expect(parsed.unknownOption() == nil, "\(arguments)")
            #expect(taken.map { String(decoding: $0, as: UTF8.self) } == Array(arguments.suffix(parsed.commandLength)), "\(arguments)")
        }
        for arguments in [["--drain", "1", "--", "x"], ["-", "x"], ["--tag-child-output", "x"], ["-h"], []] {
            #expect(EntryPoint.plainCommand(arguments.map { Array($0.utf8) }) == nil, "\(arguments)")
        }
    }

    /// Without options, the settings come from the variables alone, exactly as when the parser found none.
    @Test(arguments: [
        [String](),
        ["MAI_ENTRYPOINT_STOP_TIMEOUT=3", "MAI_ENTRYPOINT_DRAIN=2s", "MAI_ENTRYPOINT_SIGNAL_GROUP=true",
         "MAI_ENTRYPOINT_TAG_CHILD_OUTPUT=web", "MAI_ENTRYPOINT_LOG_FORMAT=json", "MAI_ENTRYPOINT_LOG_LEVEL=debug",
         "MAI_ENTRYPOINT_ENV_FILE=a.env,b.env", "MAI_ENTRYPOINT_ENV_OVERRIDE=1", "MAI_ENTRYPOINT_INIT_TIMEOUT=9",
         "MAI_ENTRYPOINT_HEALTH_URL=off", "MAI_ENTRYPOINT_KEEP_BACKUPS=0", "MAI_ENTRYPOINT_GATE_TIMEOUT=7",
         "MAI_ENTRYPOINT_USER=1000:1000", "MAI_ENTRYPOINT_CHOWN_DATA=yes", "MAI_ENTRYPOINT_OPENWEBUI_DIR=/srv"],
    ])
    func settingsWithoutOptionsAreTheParsersDefaults(_ variables: [String]) throws {
        let environment = OptionEnvironment(EnvironmentBlock(strings: variables))
        let parsed = try RunCommand.parse(["--", "true"]).settings(environment)
        let plain = try RunCommand.settings(nil, environment)
        #expect("\(plain)" == "\(parsed)")
    }

    @Test func badVariableRefusedWithoutOptionsToo() {
        let environment = OptionEnvironment(EnvironmentBlock(strings: ["MAI_ENTRYPOINT_CHOWN_DATA=1"]))
        #expect(throws: UsageError.self) { try RunCommand.settings(nil, environment) }
        let bad = OptionEnvironment(EnvironmentBlock(strings: ["MAI_ENTRYPOINT_INIT_BACKOFF=0"]))
        #expect(throws: UsageError.self) { try RunCommand.settings(nil, bad) }
    }

    /// `--drain` and `MAI_ENTRYPOINT_DRAIN` (issue 13): the command line wins; the default is no drain; the
    /// variable is checked even when the option hides it.
    @Test func drain() throws {
        let none = OptionEnvironment(EnvironmentBlock(strings: []))
        #expect(try RunCommand.parse(["--", "true"]).settings(none).supervisor.drain == .zero)
        #expect(try RunCommand.parse(["--drain", "2.5", "--", "true"]).settings(none).supervisor.drain == .milliseconds(2500))
        let five = OptionEnvironment(EnvironmentBlock(strings: ["MAI_ENTRYPOINT_DRAIN=5s"]))
        #expect(try RunCommand.parse(["--", "true"]).settings(five).supervisor.drain == .seconds(5))
        #expect(try RunCommand.parse(["--drain", "1", "--", "true"]).settings(five).supervisor.drain == .seconds(1))
        let bad = OptionEnvironment(EnvironmentBlock(strings: ["MAI_ENTRYPOINT_DRAIN=soon"]))
        #expect(throws: UsageError.self) { try RunCommand.parse(["--drain", "1", "--", "true"]).settings(bad).supervisor }
        #expect(throws: (any Error).self) { try RunCommand.parse(["--drain", "-1", "--", "true"]) }
    }

    @Test func variablesCheckedEvenWhenUnused() throws {
        let environment = OptionEnvironment(EnvironmentBlock(strings: ["MAI_ENTRYPOINT_STARTUP_GRACE=abc", "MAI_ENTRYPOINT_HEALTH_URL=off"]))
        let command = try RunCommand.parse(["--", "true"])
        #expect(throws: UsageError.self) { try command.settings(environment) }
        let stop = OptionEnvironment(EnvironmentBlock(strings: ["MAI_ENTRYPOINT_STOP_TIMEOUT=x"]))
        #expect(throws: UsageError.self) { try RunCommand.parse(["--stop-timeout", "3", "--", "true"]).settings(stop) }
    }

    /// The first entry of a repeated name is the one read, as `getenv` reads it.
    @Test func optionVariablesReadTheFirstEntry() throws {
        let environment = OptionEnvironment(EnvironmentBlock(strings: ["MAI_ENTRYPOINT_STOP_TIMEOUT=3", "MAI_ENTRYPOINT_STOP_TIMEOUT=x"]))
        let settings = try RunCommand.parse(["--", "true"]).settings(environment)
        #expect(settings.supervisor.stopTimeout == .seconds(3))
        // As getenv: an entry without `=` is no value, and a name equal only in Unicode (the Kelvin sign for K) is
        // another name.
        let odd = OptionEnvironment(EnvironmentBlock(strings: ["MAI_ENTRYPOINT_KEEP_BACKUPS", "MAI_ENTRYPOINT_\u{212A}EEP_BACKUPS=x",
                                                               "MAI_ENTRYPOINT_KEEP_BACKUPS=5"]))
        #expect(try RunCommand.settings(nil, odd).dataSafety.keepBackups == 5)
    }
}

/// The error swift-argument-parser throws for these arguments.
private func parseError(_ arguments: [String]) -> any Error {
    do {
        _ = try RunCommand.parse(arguments)
        return UsageError("parsed")
    } catch {
        return error
    }
}

/// Issue 18: Open WebUI's scale-out checklist, verdict by verdict, for the shapes operators run.

@Suite struct ServerUserOptionTests {
    @Test func userOptions() throws {
        let parsed = try RunCommand.parse(["--user", "app:staff", "--chown-data", "--", "x"])
        let settings = try parsed.serverUser.settings(OptionEnvironment(EnvironmentBlock()))
        #expect(settings.spec?.description == "app:staff" && settings.chownData)
        #expect(throws: (any Error).self) { try RunCommand.parse(["--user", "a:b:c", "--", "x"]) }
        let fromEnvironment = try RunCommand.parse(["x"]).serverUser.settings(OptionEnvironment(EnvironmentBlock(strings: [
            "MAI_ENTRYPOINT_USER=1000:1000", "MAI_ENTRYPOINT_CHOWN_DATA=true",
        ])))
        #expect(fromEnvironment.spec?.description == "1000:1000" && fromEnvironment.chownData && fromEnvironment.source == "MAI_ENTRYPOINT_USER")
        #expect(throws: UsageError.self) {
            try RunCommand.parse(["--chown-data", "x"]).serverUser.settings(OptionEnvironment(EnvironmentBlock()))
        }
        #expect(throws: UsageError.self) {
            try RunCommand.parse(["x"]).serverUser.settings(OptionEnvironment(EnvironmentBlock(strings: ["MAI_ENTRYPOINT_USER=a:"])))
        }
    }
}
