import Foundation
import Testing

/// `MAI_ENTRYPOINT_*` lines in an env file are honoured like the process environment; the command line and
/// the process environment still win; the ones that choose the env files cannot come from one.
@Suite struct OptionsFromEnvFileTests {
    typealias Workspace = EnvironmentCommandTests.Workspace

    @Test func envFileSetsAnOption() throws {
        let workspace = try Workspace([".env": "MAI_ENTRYPOINT_LOG_TAG=from-file\nMAI_ENTRYPOINT_LOG_FORMAT=json\n"])
        let run = try runProgram(["--", "true"], environment: ["ENV": "prod"], workingDirectory: workspace.path)
        #expect(run.process.terminationStatus == 0)
        let lines = run.stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines { #expect(line.hasPrefix("{") && line.contains("\"tag\":\"from-file\""), "\(line)") }
    }

    @Test func processEnvironmentAndCommandLineWin() throws {
        let workspace = try Workspace([".env": "MAI_ENTRYPOINT_LOG_TAG=from-file\n"])
        let environment = try runProgram(["--", "true"], environment: ["ENV": "prod", "MAI_ENTRYPOINT_LOG_TAG": "from-env"],
                                         workingDirectory: workspace.path)
        #expect(environment.stderr.contains("[from-env]") && !environment.stderr.contains("[from-file]"), "\(environment.stderr)")
        let option = try runProgram(["--log-tag", "from-option", "--", "true"],
                                    environment: ["ENV": "prod", "MAI_ENTRYPOINT_LOG_TAG": "from-env"], workingDirectory: workspace.path)
        #expect(option.stderr.contains("[from-option]") && !option.stderr.contains("[from-env]"), "\(option.stderr)")
    }

    @Test func aBadValueNamesTheFileAndLine() throws {
        let workspace = try Workspace([".env": "PORT=8080\nMAI_ENTRYPOINT_STOP_TIMEOUT=soon\n"])
        let run = try runProgram(["--", "true"], environment: ["ENV": "prod"], workingDirectory: workspace.path)
        #expect(run.process.terminationStatus == 2)
        let errors = run.stderr.split(separator: "\n")
        #expect(errors.count == 1, "\(run.stderr)")
        #expect(errors.first?.contains("MAI_ENTRYPOINT_STOP_TIMEOUT=soon") == true)
        #expect(errors.first?.contains(".env:2") == true, "\(run.stderr)")
    }

    @Test func variablesThatChooseTheFilesAreIgnoredWithAWarning() throws {
        let workspace = try Workspace([".env": "MAI_ENTRYPOINT_ENV_FILE=other.env\nA=1\n", "other.env": "A=2\n"])
        let run = try runProgram(["--", "sh", "-c", "echo A=$A"], environment: ["ENV": "prod"], workingDirectory: workspace.path)
        #expect(run.process.terminationStatus == 0)
        #expect(run.stdout == "A=1\n")
        let warnings = run.stderr.split(separator: "\n").filter { $0.contains("warning:") }
        #expect(warnings.count == 1, "\(run.stderr)")
        #expect(warnings.first?.contains("MAI_ENTRYPOINT_ENV_FILE") == true)
        #expect(warnings.first?.contains(".env:1") == true)
    }
}
