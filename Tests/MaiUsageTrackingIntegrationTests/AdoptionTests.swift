import Foundation
import Glibc
import MaiOpenWebUI
import MaiSQL
import MaiTestSupport
import MaiUsageTracking
import Testing

/// An existing `client_organizations` is adopted only when the tracking code can use it as it is; otherwise
/// nothing at all is written, and one line names the table and what does not fit.
@Suite("Adopting existing tables")
struct AdoptionTests {
    static let misfits: [(shape: String, reason: String)] = [
        ("CREATE TABLE orgs_base (id TEXT PRIMARY KEY, name TEXT NOT NULL, openrouter_api_key TEXT NOT NULL, markup_rate REAL, is_active INTEGER, created_at TEXT NOT NULL, updated_at TEXT NOT NULL); CREATE VIEW client_organizations AS SELECT * FROM orgs_base;",
         "is a view"),
        ("CREATE TABLE client_organizations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, openrouter_api_key TEXT NOT NULL, markup_rate REAL, is_active INTEGER, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);",
         "id is not a TEXT primary key"),
        ("CREATE TABLE client_organizations (id TEXT, name TEXT NOT NULL, openrouter_api_key TEXT NOT NULL, markup_rate REAL, is_active INTEGER, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);",
         "id is not a TEXT primary key"),
        ("CREATE TABLE client_organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL, openrouter_api_key TEXT NOT NULL, markup_rate REAL, is_active INTEGER, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, region TEXT NOT NULL);",
         "region is NOT NULL without a default"),
    ]

    @Test("a view, an INTEGER id, no primary key, an extra NOT NULL column: the file stays byte-identical",
          arguments: 0..<4)
    func misfitLeavesTheFileAsItWas(_ index: Int) throws {
        let (shape, reason) = Self.misfits[index]
        let path = try temporaryDirectory() + "/webui.db"
        try shell("sqlite3 \(quoted(path)) \(quoted("CREATE TABLE user (id TEXT PRIMARY KEY, name TEXT); " + shape))")
        let before = try #require(fileBytes(path))
        let recorder = LogRecorder()
        let outcome = initialize(["DATABASE_URL": "sqlite:///" + path], recorder: recorder)
        #expect(outcome.report == nil)
        #expect(fileBytes(path) == before, "the file changed")
        let errors = recorder.messages(at: .error)
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.contains("client_organizations") == true, "\(errors)")
        #expect(errors.first?.contains(reason) == true, "\(errors)")
    }

    @Test("the old Python code's shape still fits: carried to the app's shape, rows kept")
    func oldShapeFits() throws {
        let path = try temporaryDirectory() + "/webui.db"
        try shell("sqlite3 \(quoted(path)) \(quoted(OldPythonSchema.sqlite + OldPythonSchema.rows))")
        #expect(initialize(["DATABASE_URL": "sqlite:///" + path]).report?.schema.version == 3)
        #expect(try sqlite(path, "SELECT COUNT(*) FROM client_user_daily_usage") == ["2"])
    }

    @Test("SIGKILL at random points of init-db: the database is as it was or fully initialized, never between")
    func killedAtRandomPoints() throws {
        let program = try initDBProgram()
        var outcomes: [String: Int] = [:]
        var generator = SplitMix64(seed: 20261127)
        // Kills spread over one and a half times what a whole run takes here, so that some land after the commit.
        let whole = try timeOneInitDB(program)
        for _ in 0..<40 {
            let path = try temporaryDirectory() + "/webui.db"
            try shell("sqlite3 \(quoted(path)) \(quoted("CREATE TABLE user (id TEXT PRIMARY KEY, name TEXT); INSERT INTO user VALUES ('u1', 'Ada');"))")
            let before = try sqlite(path, ".dump")
            let process = try startInitDB(program, path)
            usleep(UInt32.random(in: 0...UInt32(whole * 1.5), using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let after = try sqlite(path, ".dump")
            if after == before {
                outcomes["as it was", default: 0] += 1
                continue
            }
            #expect(try sqlite(path, "SELECT version FROM mai_schema_migrations ORDER BY version") == ["3"], "\(after)")
            #expect(try sqlite(path, "SELECT id FROM client_organizations") == ["org-acme"], "\(after)")
            #expect(try sqlite(path, "SELECT COUNT(*) FROM user") == ["1"])
            outcomes["initialized", default: 0] += 1
        }
        #expect(outcomes.count == 2, "only \(outcomes): the kills should land both before and after the commit")
    }
}

/// `mai-entrypoint init-db` on a SQLite file, started and not waited for.
func startInitDB(_ program: String, _ path: String) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = ["init-db"]
    process.environment = ["DATABASE_URL": "sqlite:///" + path, "OPENROUTER_EXTERNAL_USER": "org-acme",
                           "ORGANIZATION_NAME": "Acme Corp", "OPENROUTER_API_KEY": "sk-or-v1-0123456789abcdef",
                           "PATH": "/usr/bin:/bin"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

/// Microseconds one whole `init-db` of a fresh file takes on this machine now.
func timeOneInitDB(_ program: String) throws -> Double {
    let path = try temporaryDirectory() + "/timing.db"
    let start = ContinuousClock.now
    let process = try startInitDB(program, path)
    process.waitUntilExit()
    let (seconds, attoseconds) = (ContinuousClock.now - start).components
    return Double(seconds) * 1e6 + Double(attoseconds) / 1e12
}

/// The built program, found beside the test bundle.
func initDBProgram() throws -> String {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    while directory.path != "/" {
        let candidate = directory.appendingPathComponent("mai-entrypoint").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    throw CocoaError(.fileNoSuchFile)
}
