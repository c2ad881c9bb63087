import Foundation
import MaiOpenWebUI
import MaiSQL
import MaiTestSupport
import MaiUsageTracking
import Testing

@Suite("Status report")
struct StatusReportTests {
    @Test("an initialized SQLite database: version, organization with the key masked, row counts; nothing written")
    func initializedSQLite() throws {
        let path = try temporaryDirectory() + "/webui.db"
        try shell("sqlite3 \(quoted(path)) \(quoted(OldPythonSchema.sqlite + OldPythonSchema.rows))")
        #expect(initialize(["DATABASE_URL": "sqlite:///" + path]).report != nil)
        let before = fileBytes(path)
        let report = try readStatus(.sqlite(path: path), organizationID: "org-acme")
        let lines = report.lines
        #expect(report.schemaVersion == 3)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("schema: v3 (3 the app's shape, applied 20"))
        #expect(lines[1].hasPrefix("organization: id=org-acme name=\"Acme Corp\" openrouter_api_key=sk-or-v1-…cdef markup_rate=1.5 is_active=1"))
        #expect(!lines.joined().contains("0123456789abcdef0123456789abcdef"))
        #expect(lines[2] == "rows: client_organizations=1 client_user_daily_usage=2 client_model_daily_usage=1")
        #expect(fileBytes(path) == before)
    }

    @Test("a database without usage tables reads as not initialized")
    func notInitialized() throws {
        let path = try temporaryDirectory() + "/webui.db"
        try shell("sqlite3 \(quoted(path)) 'CREATE TABLE user (id TEXT)'")
        let lines = try readStatus(.sqlite(path: path), organizationID: "org-acme").lines
        #expect(lines[0] == "schema: v0 (not initialized)")
        #expect(lines[1] == "organization: none with id org-acme")
        #expect(lines[2] == "rows: client_organizations=absent client_user_daily_usage=absent client_model_daily_usage=absent")
    }

    @Test("a missing SQLite file is an error, and status does not create it")
    func missingFile() throws {
        let path = try temporaryDirectory() + "/webui.db"
        #expect(throws: DatabaseError.self) { try readStatus(.sqlite(path: path), organizationID: nil) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("PostgreSQL: the same report, read in a read-only session", .enabled(if: TestPostgres.enabled, "MAI_TEST_SKIP_POSTGRES=1"))
    func postgres() throws {
        let url = try TestPostgres.freshDatabase()
        #expect(initialize(["DATABASE_URL": url]).report != nil)
        let location = try DatabaseLocation.resolve(["DATABASE_URL": url])
        let lines = try readStatus(location, organizationID: nil).lines
        #expect("\(location)".hasPrefix("postgresql://mai_test:***@127.0.0.1:"))
        #expect(lines[0].hasPrefix("schema: v3 (3 the app's shape, applied "))
        #expect(lines[1].hasPrefix("organization: id=org-acme name=\"Acme Corp\" openrouter_api_key=sk-or-v1-…cdef markup_rate=1.3 is_active=1"))
        #expect(lines[2] == "rows: client_organizations=1 client_user_daily_usage=0 client_model_daily_usage=0")
    }
}
