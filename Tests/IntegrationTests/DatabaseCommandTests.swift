import Foundation
import Glibc
import Testing

@Suite("Database: init-db, status and the main run")
struct DatabaseCommandTests {
    @Test("init-db creates, then finds everything unchanged; status shows version, masked key and counts")
    func initDBAndStatus() throws {
        let database = try SQLiteFixture()
        let first = try runProgram(["init-db"], environment: tracking(database.url), workingDirectory: database.directory)
        #expect(first.process.terminationStatus == 0, "\(first.stderr)")
        #expect(first.stderr.contains("Usage tracking initialized for Acme (organization created; schema v3) database=\(database.url)"))
        let second = try runProgram(["init-db"], environment: tracking(database.url), workingDirectory: database.directory)
        #expect(second.process.terminationStatus == 0)
        #expect(second.stderr.contains("(organization unchanged; schema v3)"))
        #expect(!second.stderr.contains("migration"))

        let status = try runProgram(["status"], environment: tracking(database.url), workingDirectory: database.directory)
        #expect(status.process.terminationStatus == 0, "\(status.stderr)")
        let lines = status.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 5, "\(status.stdout)")
        #expect(lines.contains("scale-out: single instance (one worker, not replicated): nothing to share"))
        #expect(lines.first == "database: \(database.url)")
        #expect(lines.contains { $0.hasPrefix("schema: v3 (3 the app's shape, applied ") })
        #expect(lines.contains { $0.hasPrefix("organization: id=org-acme name=Acme openrouter_api_key=sk-or-v1-…cdef ") })
        #expect(lines.last == "rows: client_organizations=1 client_user_daily_usage=0 client_model_daily_usage=0")
        #expect(!(status.stdout + status.stderr).contains("0123456789abcdef0123456789abcdef"))
    }

    @Test("changing ORGANIZATION_NAME and the key is reported as an update of both")
    func updatedOrganization() throws {
        let database = try SQLiteFixture()
        try runProgram(["init-db"], environment: tracking(database.url), workingDirectory: database.directory)
        let run = try runProgram(["init-db"], environment: tracking(database.url, ["ORGANIZATION_NAME": "Acme Two", "OPENROUTER_API_KEY": "sk-or-v1-changed-00000000000000"]),
                                 workingDirectory: database.directory)
        #expect(run.process.terminationStatus == 0)
        #expect(run.stderr.contains("Usage tracking initialized for Acme Two (organization updated: name, api key; schema v3)"))
        #expect(try database.query("SELECT name FROM client_organizations") == ["Acme Two"])
    }

    @Test("not configured: one info line and the server starts; init-db exits 1")
    func notConfigured() throws {
        let directory = try makeTemporaryDirectory().path
        let unset = ["OPENROUTER_EXTERNAL_USER": "", "ORGANIZATION_NAME": "", "DATA_DIR": directory]
        let run = try runProgram(["--", "sh", "-c", "echo server-started"], environment: unset, workingDirectory: directory)
        #expect(run.process.terminationStatus == 0)
        #expect(run.stdout == "server-started\n")
        #expect(run.stderrLines.filter { $0.contains("Usage tracking") }
            == run.stderrLines.filter { $0.hasSuffix("info: Usage tracking not configured (OPENROUTER_EXTERNAL_USER, ORGANIZATION_NAME unset); skipping") })
        #expect(run.stderrLines.contains { $0.contains("Usage tracking not configured") })
        #expect(!FileManager.default.fileExists(atPath: directory + "/webui.db"))

        let initDB = try runProgram(["init-db"], environment: unset, workingDirectory: directory)
        #expect(initDB.process.terminationStatus == 1)
    }

    @Test("partly configured: a warning naming what is missing, and the server starts")
    func partlyConfigured() throws {
        let directory = try makeTemporaryDirectory().path
        let partial = ["OPENROUTER_EXTERNAL_USER": "org-acme", "ORGANIZATION_NAME": "", "OPENROUTER_API_KEY": "", "DATA_DIR": directory]
        let run = try runProgram(["--", "sh", "-c", "echo server-started"], environment: partial, workingDirectory: directory)
        #expect(run.process.terminationStatus == 0)
        #expect(run.stdout == "server-started\n")
        #expect(run.stderr.contains("warning: Usage tracking not configured: ORGANIZATION_NAME, OPENROUTER_API_KEY unset; skipping"))
    }

    @Test("the schema and the organization exist before the server starts")
    func initializedBeforeChild() throws {
        let database = try SQLiteFixture()
        let run = try runProgram(["--", "sqlite3", database.path, "SELECT name FROM client_organizations"],
                                 environment: tracking(database.url), workingDirectory: database.directory)
        #expect(run.process.terminationStatus == 0, "\(run.stderr)")
        #expect(run.stdout == "Acme\n")
    }

    @Test("a failure is logged and the server still starts; --init-required exits 1 and starts nothing")
    func failureAndInitRequired() throws {
        let database = try SQLiteFixture()
        let noise = Data((0..<8192).map { _ in UInt8.random(in: 0...255) })
        #expect(FileManager.default.createFile(atPath: database.path, contents: noise))
        let marker = database.directory + "/server-started"
        let server = ["--", "sh", "-c", "touch \(marker)"]

        let tolerant = try runProgram(server, environment: tracking(database.url), workingDirectory: database.directory)
        #expect(tolerant.process.terminationStatus == 0)
        #expect(tolerant.stderr.contains("error: Usage tracking initialization failed: SQLite database \(database.path): not a database file"))
        #expect(tolerant.stderr.contains("warning: starting the server without usage tracking"))
        #expect(FileManager.default.fileExists(atPath: marker))
        try FileManager.default.removeItem(atPath: marker)

        for required in [(["--init-required"], [:]), ([], ["MAI_ENTRYPOINT_INIT_REQUIRED": "true"])] {
            let strict = try runProgram(required.0 + server, environment: tracking(database.url, required.1),
                                        workingDirectory: database.directory)
            #expect(strict.process.terminationStatus == 1)
            #expect(strict.stderr.contains("not starting the server: usage tracking is required (--init-required)"))
            #expect(!strict.stderr.contains("child started"))
            #expect(!FileManager.default.fileExists(atPath: marker))
        }
        #expect(FileManager.default.contents(atPath: database.path) == noise)
    }

    @Test("status of a database that does not exist exits 1 and creates nothing")
    func statusOfMissingDatabase() throws {
        let database = try SQLiteFixture()
        let status = try runProgram(["status"], environment: tracking(database.url), workingDirectory: database.directory)
        #expect(status.process.terminationStatus == 1)
        #expect(status.stderr.contains("cannot read the usage-tracking status"))
        #expect(!FileManager.default.fileExists(atPath: database.path))
    }

    @Test("bad --init-backoff and --init-timeout values, on the command line or from the environment, exit 2")
    func badOptionValues() throws {
        let database = try SQLiteFixture()
        let cases: [([String], [String: String], String)] = [
            (["--init-backoff", "0", "--", "true"], [:], "--init-backoff must be more than 0 seconds"),
            (["--init-timeout", "soon", "--", "true"], [:], "'soon' is invalid for '--init-timeout <S>': not a number of seconds"),
            (["--", "true"], ["MAI_ENTRYPOINT_INIT_TIMEOUT": "soon"], "MAI_ENTRYPOINT_INIT_TIMEOUT=soon: not a number of seconds"),
            (["--", "true"], ["MAI_ENTRYPOINT_INIT_REQUIRED": "maybe"], "MAI_ENTRYPOINT_INIT_REQUIRED=maybe is not a boolean"),
            (["init-db", "--init-timeout", "later"], [:], "'later' is invalid for '--init-timeout <S>': not a number of seconds"),
        ]
        for (arguments, environment, message) in cases {
            let run = try runProgram(arguments, environment: tracking(database.url, environment), workingDirectory: database.directory)
            #expect(run.process.terminationStatus == 2, "\(arguments) \(environment): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(run.stderr)")
        }
    }

    @Test("--help of the main run and of init-db names the options and their environment variables")
    func help() throws {
        for arguments in [["--help"], ["init-db", "--help"]] {
            let run = try runProgram(arguments)
            #expect(run.process.terminationStatus == 0)
            let text = run.stdout.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "  ", with: "")
            for option in ["init-backoff", "init-timeout", "init-required"] {
                #expect(text.contains("--\(option)"), "\(arguments): --\(option)")
                #expect(text.contains("MAI_ENTRYPOINT_" + option.uppercased().replacingOccurrences(of: "-", with: "_")))
            }
        }
        let status = try runProgram(["status", "--help"])
        #expect(status.process.terminationStatus == 0)
        #expect(status.stdout.contains("Read-only"))
    }
}
