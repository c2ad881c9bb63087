import Foundation
import MaiOpenWebUI
import MaiSQL
import MaiTestSupport
import MaiUsageTracking
import Testing

@Suite("SQLite initialization")
struct SQLiteInitializationTests {
    @Test("a fresh location (no directory, no file): directory, file, schema v3 and the organization are created")
    func freshLocation() throws {
        let directory = try temporaryDirectory() + "/not/yet/there"
        let recorder = LogRecorder()
        let outcome = initialize(["DATA_DIR": directory], recorder: recorder)
        let report = try #require(outcome.report, "\(outcome)")
        #expect(report.change == .created)
        #expect(report.schema == SchemaState(version: 3, applied: [3], deferred: nil))
        let path = directory + "/webui.db"
        #expect(try sqlite(path, "SELECT id, name, openrouter_api_key, markup_rate, is_active FROM client_organizations")
            == ["org-acme|Acme Corp|sk-or-v1-0123456789abcdef0123456789abcdef|1.3|1"])
        #expect(try sqlite(path, "SELECT version, name FROM mai_schema_migrations ORDER BY version")
            == ["3|the app's shape"])
        #expect(recorder.messages(at: .info).last
            == "Usage tracking initialized for Acme Corp (organization created; schema v3)")
    }

    @Test("an empty file is initialized in place")
    func emptyFile() throws {
        let path = try temporaryDirectory() + "/webui.db"
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        #expect(initialize(["DATABASE_URL": "sqlite:///" + path]).report?.change == .created)
        #expect(try sqlite(path, "SELECT COUNT(*) FROM client_organizations") == ["1"])
    }

    @Test("an Open WebUI database keeps its own tables and rows untouched")
    func openWebUIDatabase() throws {
        let path = try temporaryDirectory() + "/webui.db"
        try shell("sqlite3 \(quoted(path)) \(quoted("CREATE TABLE user (id TEXT PRIMARY KEY, name TEXT); INSERT INTO user VALUES ('u1', 'Ada'); CREATE TABLE chat (id TEXT, user_id TEXT, title TEXT); INSERT INTO chat VALUES ('c1', 'u1', 'hello');"))")
        let before = try sqlite(path, "SELECT sql FROM sqlite_master WHERE name IN ('user', 'chat') ORDER BY name")
        #expect(initialize(["DATABASE_URL": "sqlite:///" + path]).report?.schema.version == 3)
        #expect(try sqlite(path, "SELECT sql FROM sqlite_master WHERE name IN ('user', 'chat') ORDER BY name") == before)
        #expect(try sqlite(path, "SELECT * FROM user") == ["u1|Ada"])
        #expect(try sqlite(path, "SELECT * FROM chat") == ["c1|u1|hello"])
    }

    @Test("tables left by the old Python code are carried to the app's shape with every row kept")
    func oldPythonTables() throws {
        let path = try temporaryDirectory() + "/webui.db"
        try shell("sqlite3 \(quoted(path)) \(quoted(OldPythonSchema.sqlite + OldPythonSchema.rows))")
        let recorder = LogRecorder()
        let report = try #require(initialize(["DATABASE_URL": "sqlite:///" + path], recorder: recorder).report)
        #expect(report.change == .updated(["name", "api key"]))
        #expect(try sqlite(path, "SELECT COUNT(*) FROM client_user_daily_usage") == ["2"])
        #expect(try sqlite(path, "SELECT COUNT(*) FROM client_model_daily_usage") == ["1"])
        #expect(try sqlite(path, "SELECT total_tokens FROM client_user_daily_usage ORDER BY id") == ["1200", "300"])
        #expect(try sqlite(path, "SELECT markup_rate, created_at FROM client_organizations") == ["1.5|1735689600"])
        #expect(recorder.messages.contains { $0.contains("carried client_organizations, client_user_daily_usage, client_model_daily_usage to the app's shape") })
    }

    @Test("a second run changes nothing: organization unchanged, file byte-identical")
    func secondRun() throws {
        let path = try temporaryDirectory() + "/webui.db"
        #expect(initialize(["DATABASE_URL": "sqlite:///" + path]).report?.change == .created)
        let before = fileBytes(path)
        let recorder = LogRecorder()
        let report = try #require(initialize(["DATABASE_URL": "sqlite:///" + path], recorder: recorder).report)
        #expect(report.change == .unchanged)
        #expect(report.schema == SchemaState(version: 3, applied: [], deferred: nil))
        #expect(fileBytes(path) == before)
        #expect(recorder.messages == ["Usage tracking initialized for Acme Corp (organization unchanged; schema v3)"])
    }

    @Test("a changed name and key update the row, keep created_at and move updated_at")
    func changedNameAndKey() throws {
        let path = try temporaryDirectory() + "/webui.db"
        let location = ["DATABASE_URL": "sqlite:///" + path]
        #expect(initialize(location).report?.change == .created)
        // An hour ago, so that the update shows in epoch seconds.
        _ = try sqlite(path, "UPDATE client_organizations SET created_at = created_at - 3600, updated_at = updated_at - 3600")
        let created = try sqlite(path, "SELECT created_at FROM client_organizations")
        #expect(initialize(location.merging(["ORGANIZATION_NAME": "Acme Renamed"]) { $1 }).report?.change == .updated(["name"]))
        let recorder = LogRecorder()
        let outcome = initialize(location.merging(["ORGANIZATION_NAME": "Acme Again", "OPENROUTER_API_KEY": "sk-or-v1-new-key-0000000000000000"]) { $1 }, recorder: recorder)
        #expect(outcome.report?.change == .updated(["name", "api key"]))
        #expect(recorder.messages.last == "Usage tracking initialized for Acme Again (organization updated: name, api key; schema v3)")
        let row = try sqlite(path, "SELECT name, openrouter_api_key, created_at, updated_at FROM client_organizations")
        let fields = try #require(row.first).split(separator: "|").map(String.init)
        #expect(fields[0] == "Acme Again" && fields[1] == "sk-or-v1-new-key-0000000000000000")
        #expect(fields[2] == created.first)
        #expect((Int(fields[3]) ?? 0) >= (Int(fields[2]) ?? 0) + 3600)
    }

    @Test("a name holding quotes and SQL is stored literally")
    func hostileName() throws {
        let path = try temporaryDirectory() + "/webui.db"
        let name = "Robert'); DROP TABLE client_organizations; -- \"quoted\" \\ ünïcødé"
        let outcome = initialize(["DATABASE_URL": "sqlite:///" + path, "ORGANIZATION_NAME": name])
        #expect(outcome.report?.change == .created)
        #expect(try sqlite(path, "SELECT name FROM client_organizations") == [name])
        #expect(try sqlite(path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'client_organizations'") == ["1"])
    }

    @Test("duplicate daily rows of the old code are all carried: the app keys daily rows by id, with no unique key")
    func duplicatesAreCarried() throws {
        let path = try temporaryDirectory() + "/webui.db"
        try shell("sqlite3 \(quoted(path)) \(quoted(OldPythonSchema.sqlite + OldPythonSchema.rows + OldPythonSchema.duplicates))")
        let recorder = LogRecorder()
        let report = try #require(initialize(["DATABASE_URL": "sqlite:///" + path], recorder: recorder).report)
        #expect(report.schema.version == 3)
        #expect(recorder.messages(at: .warning) == [])
        #expect(try sqlite(path, "SELECT id, total_tokens FROM client_user_daily_usage ORDER BY id") == ["1|1200", "2|300", "3|50"])
        #expect(try sqlite(path, "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'uq_%'") == ["0"])
    }

    @Test("a usage table without the expected columns is left untouched and named in the error")
    func incompatibleTable() throws {
        let path = try temporaryDirectory() + "/webui.db"
        try shell("sqlite3 \(quoted(path)) \(quoted("CREATE TABLE client_organizations (id TEXT PRIMARY KEY, title TEXT); INSERT INTO client_organizations VALUES ('x', 'kept');"))")
        let before = fileBytes(path)
        let failure = initialize(["DATABASE_URL": "sqlite:///" + path]).failure
        #expect(failure == .permanent(.incompatibleTable(table: "client_organizations",
                                                         reason: "it lacks column(s) name, openrouter_api_key, markup_rate, is_active, created_at, updated_at")))
        #expect(fileBytes(path) == before)
    }

    @Test("a recorded migration whose checksum differs is an error, and nothing is changed")
    func changedChecksum() throws {
        let path = try temporaryDirectory() + "/webui.db"
        #expect(initialize(["DATABASE_URL": "sqlite:///" + path]).report != nil)
        try shell("sqlite3 \(quoted(path)) \(quoted("UPDATE mai_schema_migrations SET checksum = 'edited' WHERE version = 3"))")
        let before = fileBytes(path)
        let failure = initialize(["DATABASE_URL": "sqlite:///" + path, "ORGANIZATION_NAME": "Changed"]).failure
        #expect(failure == .permanent(.migrationChanged(version: 3, name: "the app's shape")))
        #expect(failure?.description.contains("different checksum") == true)
        #expect(fileBytes(path) == before)
    }
}

/// Tables as the old Python code made them: the same columns, no migration record, rows in them.
enum OldPythonSchema {
    static let sqlite = EarlierUsageSQL.sqlite

    static let rows = """
        INSERT INTO client_organizations VALUES ('org-acme', 'Acme Old', 'sk-old', 1.5, 1, '2025-01-01T00:00:00', '2025-01-01T00:00:00');
        INSERT INTO client_user_daily_usage (client_org_id, user_id, usage_date, total_tokens, created_at) VALUES ('org-acme', 'u1', '2025-07-24', 1200, '2025-07-24T10:00:00');
        INSERT INTO client_user_daily_usage (client_org_id, user_id, usage_date, total_tokens, created_at) VALUES ('org-acme', 'u2', '2025-07-24', 300, '2025-07-24T11:00:00');
        INSERT INTO client_model_daily_usage (client_org_id, model_name, provider, usage_date, total_tokens, created_at) VALUES ('org-acme', 'gpt-4o', 'openai', '2025-07-24', 1500, '2025-07-24T11:00:00');

        """

    /// A second row for u1 on the same day: the kind the old code could write, which version 2 forbids.
    static let duplicates = """
        INSERT INTO client_user_daily_usage (client_org_id, user_id, usage_date, total_tokens, created_at) VALUES ('org-acme', 'u1', '2025-07-24', 50, '2025-07-24T12:00:00');

        """
}
