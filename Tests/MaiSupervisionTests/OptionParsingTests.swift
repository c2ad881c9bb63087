import Testing
@testable import MaiCommandLine

@Suite struct OptionParsingTests {
    @Test func seconds() {
        #expect(parseSeconds("8") == .seconds(8))
        #expect(parseSeconds("0.5") == .milliseconds(500))
        #expect(parseSeconds("2s") == .seconds(2))
        #expect(parseSeconds("-1") == nil)
        #expect(parseSeconds("soon") == nil)
        #expect(parseSeconds("nan") == nil)
    }

    @Test func environmentVariableNames() {
        #expect(OptionEnvironment.variable(for: "stop-timeout") == "MAI_ENTRYPOINT_STOP_TIMEOUT")
    }

    @Test func commandSplitsAtDoubleDashOrFirstWord() {
        #expect(EntryPoint.splitCommand(["--stop-timeout", "3", "--", "env"]) == (["--stop-timeout", "3"], ["env"]))
        #expect(EntryPoint.splitCommand(["--signal-group", "bash", "-c", "x"]) == (["--signal-group"], ["bash", "-c", "x"]))
        #expect(EntryPoint.splitCommand(["--tag-child-output", "uvicorn"]) == (["--tag-child-output=webui"], ["uvicorn"]))
        #expect(EntryPoint.splitCommand(["sh", "--", "x"]) == ([], ["sh", "--", "x"]))
    }
}
