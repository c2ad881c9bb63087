import Foundation
import Testing

/// `mai-entrypoint env` and the environment files on the main run path, end to end.
@Suite struct EnvironmentCommandTests {
    static let apiKey = "sk-or-v1-integration0123456789abcdef"
    static let dbPassword = "db-password-never-shown"

    /// A folder with `.env` (and more files) for one test, removed afterwards.
    final class Workspace {
        let url: URL
        var path: String { url.path }

        init(_ files: [String: String]) throws {
            url = try makeTemporaryDirectory()
            for (name, text) in files { try write(name, text) }
        }

        deinit { try? FileManager.default.removeItem(at: url) }

        func write(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: url.appendingPathComponent(name))
        }
    }

    static let sampleEnv = """
        # mAI client instance
        WEBUI_NAME="mAI for clients"
        OPENROUTER_API_KEY=\(apiKey)
        DATABASE_URL=postgresql://mai:\(dbPassword)@db:5432/mai
        PORT=8080

        """

    private func expectNoSecrets(_ program: ProgramProcess) {
        for secret in [Self.apiKey, Self.dbPassword, "integration0123456789"] {
            #expect(!program.stdout.contains(secret) && !program.stderr.contains(secret), "\(secret) was printed")
        }
    }

    @Test func envPrintsWhatFilesSetWithSourcesMasked() throws {
        let workspace = try Workspace([".env": Self.sampleEnv])
        let program = try runProgram(["env"], environment: ["ENV": "prod", "PORT": "3000"], workingDirectory: workspace.path)
        #expect(program.process.terminationStatus == 0)
        #expect(program.stdout.split(separator: "\n") == [
            #"WEBUI_NAME="mAI for clients"  # .env:2"#,
            "OPENROUTER_API_KEY=sk-or-v1-…cdef  # .env:3",
            "DATABASE_URL=postgresql://mai:***@db:5432/mai  # .env:4",
            "PORT=3000  # environment",
        ])
        #expect(program.stderr.contains("environment loaded file=.env variables=4"))
        expectNoSecrets(program)
    }

    /// Issue 20: 40,000 variables took 15 s, each line's redaction going through one more closure wrapper than
    /// the last: the work grew with the square of the count and the stack with the count. Seen without timing
    /// anything: on a 512 KiB stack that nesting overflowed after some 4,500 lines (SIGSEGV); linear, it fits.
    @Test func envListsFortyThousandVariablesOnASmallStack() throws {
        let count = 40_000
        let text = (0..<count).map { "VAR_\($0)=value-\($0)\n" }.joined()
        let workspace = try Workspace(["many.env": text])
        let program = try ProgramProcess(["-c", "ulimit -s 512 && exec \"$0\" env --env-file many.env", programPath],
                                         workingDirectory: workspace.path, executable: "/bin/sh")
        #expect(try program.wait(timeout: .seconds(120)) == 0)
        let lines = program.stdout.split(separator: "\n")
        #expect(lines.count == count)
        #expect(lines.last == "VAR_39999=value-39999  # many.env:40000")
    }

    @Test func envWritesJSONLines() throws {
        let workspace = try Workspace([".env": Self.sampleEnv])
        let program = try runProgram(["env", "--log-format", "json"], environment: ["ENV": "prod"], workingDirectory: workspace.path)
        #expect(program.process.terminationStatus == 0)
        let objects = try program.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        }
        #expect(objects.count == 4)
        #expect(objects[1] == ["name": "OPENROUTER_API_KEY", "value": "sk-or-v1-…cdef", "source": ".env:3"])
        let logLine = try #require(program.stderr.split(separator: "\n").first)
        let log = try #require(try JSONSerialization.jsonObject(with: Data(logLine.utf8)) as? [String: Any])
        #expect(log["msg"] as? String == "environment loaded")
        #expect(log["variables"] as? Int == 4)
        expectNoSecrets(program)
    }

    @Test(arguments: ["text", "json"])
    func envWithBadFileExits2NamingFileAndLine(_ format: String) throws {
        let bad = Self.sampleEnv + "PASSWORD=\"\(Self.dbPassword)\n"
        let workspace = try Workspace(["bad.env": bad])
        let program = try runProgram(["env", "--env-file", "bad.env", "--log-format", format], workingDirectory: workspace.path)
        #expect(program.process.terminationStatus == 2)
        let message = "bad.env:6: the double-quoted value of PASSWORD has no closing \""
        if format == "json" {
            let line = try #require(program.stderr.split(separator: "\n").last)
            let log = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(log["level"] as? String == "error")
            #expect(log["msg"] as? String == message)
        } else {
            #expect(program.stderr == "mai-entrypoint: error: \(message)\n")
        }
        #expect(program.stdout.isEmpty)
        expectNoSecrets(program)
    }

    @Test func namedFileThatDoesNotExistIsAnError() throws {
        let workspace = try Workspace([:])
        let program = try runProgram(["env", "--env-file", "missing.env"], workingDirectory: workspace.path)
        #expect(program.process.terminationStatus == 2)
        #expect(program.stderr == "mai-entrypoint: error: cannot read env file missing.env: no such file\n")
    }

    @Test func missingDefaultFileIsOneInfoLine() throws {
        let workspace = try Workspace([:])
        let program = try runProgram(["env"], environment: ["ENV": "prod"], workingDirectory: workspace.path)
        #expect(program.process.terminationStatus == 0)
        #expect(program.stdout.isEmpty)
        #expect(program.stderr.split(separator: "\n").count == 1)
        #expect(program.stderr.contains("info: no .env file; using the process environment"))
    }

    @Test func childInheritsMergedEnvironment() throws {
        let workspace = try Workspace([".env": Self.sampleEnv + "EXTRA=${PORT}-extra\nDATABASE_PASSWORD_FILE=secret\n"])
        try workspace.write("secret", "from-secret-file\n")
        let program = try runProgram(
            ["--", "/bin/sh", "-c", #"printf '%s|%s|%s|%s|%s' "$WEBUI_NAME" "$PORT" "$EXTRA" "$DATABASE_PASSWORD" "$KEPT""#],
            environment: ["ENV": "prod", "PORT": "3000", "KEPT": "kept"], workingDirectory: workspace.path)
        #expect(program.process.terminationStatus == 0)
        #expect(program.stdout == "mAI for clients|3000|3000-extra|from-secret-file|kept")
        #expect(program.stderr.contains("environment loaded file=.env variables=6"))
        expectNoSecrets(program)
    }

    @Test(arguments: [(["--env-override"], [String: String]()), ([], ["MAI_ENTRYPOINT_ENV_OVERRIDE": "true"])])
    func overrideLetsFilesWin(_ options: [String], _ environment: [String: String]) throws {
        let workspace = try Workspace([".env": "PORT=8080\n"])
        let program = try runProgram(options + ["--", "/bin/sh", "-c", #"printf '%s' "$PORT""#],
                                     environment: environment.merging(["ENV": "prod", "PORT": "3000"]) { $1 },
                                     workingDirectory: workspace.path)
        #expect(program.process.terminationStatus == 0)
        #expect(program.stdout == "8080")
    }

    @Test func developmentReadsEnvDev() throws {
        let workspace = try Workspace([".env": "WHICH=prod\n", ".env.dev": "WHICH=dev\n"])
        let program = try runProgram(["--", "/bin/sh", "-c", #"printf '%s' "$WHICH""#],
                                     environment: ["ENV": "dev"], workingDirectory: workspace.path)
        #expect(program.stdout == "dev")
        #expect(program.stderr.contains("environment loaded file=.env.dev variables=1"))
    }

    @Test func filesAndSecretNamesFromEnvironmentVariables() throws {
        let workspace = try Workspace(["a.env": "A=1\nB=1\n", "b.env": "B=2\nSMTP_PASSWORD_FILE=smtp\n", "smtp": "smtp-pw"])
        let program = try runProgram(["--", "/bin/sh", "-c", #"printf '%s|%s|%s' "$A" "$B" "$SMTP_PASSWORD""#],
                                     environment: ["MAI_ENTRYPOINT_ENV_FILE": "a.env, b.env", "MAI_ENTRYPOINT_SECRET_FILE_VARS": "SMTP_PASSWORD_FILE"],
                                     workingDirectory: workspace.path)
        #expect(program.process.terminationStatus == 0)
        #expect(program.stdout == "1|2|smtp-pw")
    }

    @Test func badFileStartsNothing() throws {
        let workspace = try Workspace([".env": "A=1\nOPENROUTER_API_KEY=\(Self.apiKey)\nOPENROUTER_API_KEY_FILE=/run/secrets/x\n"])
        let marker = workspace.url.appendingPathComponent("started").path
        let program = try runProgram(["--", "/bin/sh", "-c", "touch \(marker)"], environment: ["ENV": "prod"], workingDirectory: workspace.path)
        #expect(program.process.terminationStatus == 2)
        #expect(program.stderr.contains("mai-entrypoint: error: both OPENROUTER_API_KEY and OPENROUTER_API_KEY_FILE are set"))
        #expect(!FileManager.default.fileExists(atPath: marker))
        expectNoSecrets(program)
    }

    @Test func syntaxErrorOnRunPathNamesLine() throws {
        let workspace = try Workspace([".env": "A=1\n\nTOKEN: \(Self.dbPassword)\n"])
        let program = try runProgram(["--", "/bin/true"], environment: ["ENV": "prod"], workingDirectory: workspace.path)
        #expect(program.process.terminationStatus == 2)
        #expect(program.stderr.contains("mai-entrypoint: error: .env:3: ':' (U+003A) is not allowed in a variable name"))
        #expect(!program.stderr.contains("child started"))
        expectNoSecrets(program)
    }

    @Test func invalidSecretFileVarsIsAUsageError() throws {
        let program = try runProgram(["env", "--secret-file-vars", "GOOD,9BAD"])
        #expect(program.process.terminationStatus == 2)
        #expect(program.stderr.contains("'GOOD,9BAD' is invalid for '--secret-file-vars <A,B>': 9BAD is not a variable name"))
    }
}
