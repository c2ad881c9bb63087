import Foundation
import MaiOpenWebUI
import MaiSQL
import MaiTestSupport
import MaiUsageTracking
import Testing

@Suite("PostgreSQL initialization", .enabled(if: TestPostgres.enabled, "MAI_TEST_SKIP_POSTGRES=1"))
struct PostgresInitializationTests {
    @Test("a fresh database gets schema v3, the app's shape with PostgreSQL's types, and the organization row")
    func freshDatabase() throws {
        let url = try TestPostgres.freshDatabase()
        let recorder = LogRecorder()
        let report = try #require(initialize(["DATABASE_URL": url], recorder: recorder).report)
        #expect(report.change == .created)
        #expect(report.schema == SchemaState(version: 3, applied: [3], deferred: nil))
        let database = try TestPostgres.connect(url)
        #expect(try database.query("SELECT id, name, markup_rate, is_active FROM client_organizations").map { $0.map(\.description) }
            == [["org-acme", "Acme Corp", "1.3", "1"]])
        let types = try database.query("""
            SELECT column_name::text, data_type::text FROM information_schema.columns
            WHERE table_name = 'client_user_daily_usage' AND column_name IN ('id', 'usage_date', 'total_tokens', 'raw_cost')
            ORDER BY column_name
            """).map { $0.map(\.description) }
        #expect(types == [["id", "character varying"], ["raw_cost", "double precision"], ["total_tokens", "bigint"], ["usage_date", "date"]])
        let indexes = try database.query("SELECT indexname::text FROM pg_indexes WHERE indexname LIKE 'idx_%' OR indexname LIKE 'uq_%' ORDER BY 1")
        #expect(indexes.map { $0[0].description } == ["idx_active", "idx_api_key", "idx_client_model_date", "idx_client_user_date",
                                                        "idx_model_date", "idx_user_date"])
        #expect(try database.query("SELECT pg_typeof(created_at)::text FROM client_organizations").first?.first?.description == "bigint")
        #expect(recorder.messages.last == "Usage tracking initialized for Acme Corp (organization created; schema v3)")
    }

    @Test("other tables stay untouched; old Python tables are carried to the app's shape with their rows")
    func existingTables() throws {
        let url = try TestPostgres.freshDatabase()
        let database = try TestPostgres.connect(url)
        try database.execute("CREATE TABLE chat (id TEXT PRIMARY KEY, title TEXT); INSERT INTO chat VALUES ('c1', 'hello')")
        try database.execute(OldPythonSchema.postgres + OldPythonSchema.rows)
        let report = try #require(initialize(["DATABASE_URL": url]).report)
        #expect(report.change == .updated(["name", "api key"]))
        #expect(report.schema.version == 3)
        #expect(try database.query("SELECT COUNT(*) FROM client_user_daily_usage").first?.first?.integer == 2)
        #expect(try database.query("SELECT markup_rate FROM client_organizations").first?.first?.description == "1.5")
        #expect(try database.query("SELECT title FROM chat").first?.first?.description == "hello")
    }

    @Test("a view, an INTEGER id, no primary key, an extra NOT NULL column, a boolean is_active: nothing is written")
    func misfitsWriteNothing() throws {
        let columns = "name TEXT NOT NULL, openrouter_api_key TEXT NOT NULL, markup_rate REAL, is_active INTEGER, created_at TEXT NOT NULL, updated_at TEXT NOT NULL"
        let shapes: [(String, String)] = [
            ("CREATE TABLE base (id TEXT PRIMARY KEY, \(columns)); CREATE VIEW client_organizations AS SELECT * FROM base", "is a view"),
            ("CREATE TABLE client_organizations (id INTEGER PRIMARY KEY, \(columns))", "id is not a TEXT primary key"),
            ("CREATE TABLE client_organizations (id TEXT, \(columns))", "id is not a TEXT primary key"),
            ("CREATE TABLE client_organizations (id TEXT PRIMARY KEY, \(columns), region TEXT NOT NULL)", "region is NOT NULL without a default"),
            ("CREATE TABLE client_organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL, openrouter_api_key TEXT NOT NULL, markup_rate REAL, is_active BOOLEAN, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
             "is_active is boolean"),
        ]
        for (shape, reason) in shapes {
            let url = try TestPostgres.freshDatabase()
            let database = try TestPostgres.connect(url)
            try database.execute(shape)
            let tables = "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
            let before = try database.query(tables).map { $0.map(\.description) }
            let recorder = LogRecorder()
            #expect(initialize(["DATABASE_URL": url], recorder: recorder).report == nil)
            #expect(try database.query(tables).map { $0.map(\.description) } == before, "\(shape)")
            #expect(recorder.messages(at: .error).count == 1)
            #expect(recorder.messages(at: .error).first?.contains(reason) == true, "\(recorder.messages(at: .error))")
        }
    }

    @Test("a second run changes nothing; a changed name and key are updated in place")
    func secondRunAndUpdate() throws {
        let url = try TestPostgres.freshDatabase()
        #expect(initialize(["DATABASE_URL": url]).report?.change == .created)
        let database = try TestPostgres.connect(url)
        let before = try database.query("SELECT * FROM client_organizations")
        let again = try #require(initialize(["DATABASE_URL": url]).report)
        #expect(again.change == .unchanged)
        #expect(again.schema == SchemaState(version: 3, applied: [], deferred: nil))
        #expect(try database.query("SELECT * FROM client_organizations") == before)
        // An hour ago, so that the update shows in epoch seconds.
        try database.execute("UPDATE client_organizations SET created_at = created_at - 3600, updated_at = updated_at - 3600")
        let earlier = try database.query("SELECT created_at FROM client_organizations").first?.first
        let renamed = initialize(["DATABASE_URL": url, "ORGANIZATION_NAME": "Renamed", "OPENROUTER_API_KEY": "sk-or-v1-other-0000000000000000"])
        #expect(renamed.report?.change == .updated(["name", "api key"]))
        let row = try #require(try database.query("SELECT name, created_at, updated_at FROM client_organizations").first)
        #expect(row[0].description == "Renamed")
        #expect(row[1] == earlier)
        #expect((row[2].integer ?? 0) >= (row[1].integer ?? 0) + 3600)
        #expect(try database.query("SELECT COUNT(*) FROM mai_schema_migrations").first?.first?.integer == 1)
    }

    @Test("a name holding quotes and SQL is stored literally")
    func hostileName() throws {
        let url = try TestPostgres.freshDatabase()
        let name = "O'Brien'); DROP TABLE client_organizations; -- $1 \"x\""
        #expect(initialize(["DATABASE_URL": url, "ORGANIZATION_NAME": name]).report?.change == .created)
        #expect(try TestPostgres.connect(url).query("SELECT name FROM client_organizations").first?.first?.description == name)
    }

    @Test("duplicate daily rows of the old code are all carried, none merged")
    func duplicates() throws {
        let url = try TestPostgres.freshDatabase()
        let database = try TestPostgres.connect(url)
        try database.execute(OldPythonSchema.postgres + OldPythonSchema.rows + OldPythonSchema.duplicates)
        let recorder = LogRecorder()
        let report = try #require(initialize(["DATABASE_URL": url], recorder: recorder).report)
        #expect(report.schema.version == 3)
        #expect(recorder.messages(at: .warning) == [])
        #expect(try database.query("SELECT COUNT(*) FROM client_user_daily_usage").first?.first?.integer == 3)
    }

    @Test("a wrong password fails at once with one line that does not hold the password")
    func wrongPassword() throws {
        let server = try TestPostgres.serverURL()
        let wrong = server.replacingOccurrences(of: #"://([^:]+):[^@]+@"#, with: "://$1:Wr0ngSecret@", options: .regularExpression)
        let started = ContinuousClock.now
        let failure = initialize(["DATABASE_URL": wrong]).failure
        // `.permanent` below is the proof that it was not retried; 3 s broke on a loaded machine.
        #expect(ContinuousClock.now - started < .seconds(10))
        guard case .permanent(.postgres(let postgres)) = failure else {
            Issue.record("expected a permanent PostgreSQL failure, got \(String(describing: failure))")
            return
        }
        #expect(postgres.message.contains("password authentication failed"))
        #expect(!postgres.description.contains("Wr0ngSecret"))
        #expect(!postgres.description.contains("\n"))
    }

    @Test("an unknown database fails at once")
    func unknownDatabase() throws {
        let url = TestPostgres.url(try TestPostgres.serverURL(), database: "no_such_database_here")
        let failure = initialize(["DATABASE_URL": url]).failure
        guard case .permanent(.postgres(let postgres)) = failure else {
            Issue.record("expected a permanent PostgreSQL failure, got \(String(describing: failure))")
            return
        }
        #expect(postgres.message == "database \"no_such_database_here\" does not exist")
    }

    @Test("a role that may not create tables fails at once with permission denied, and nothing is created")
    func permissionDenied() throws {
        let url = try TestPostgres.freshDatabase()
        let role = "mai_reader_" + UUID().uuidString.prefix(8).lowercased()
        try TestPostgres.connect(url).execute("CREATE ROLE \(role) LOGIN PASSWORD 'reader-pass'")
        let limited = url.replacingOccurrences(of: #"://[^@]+@"#, with: "://\(role):reader-pass@", options: .regularExpression)
        let failure = initialize(["DATABASE_URL": limited]).failure
        guard case .permanent(.postgres(let postgres)) = failure else {
            Issue.record("expected a permanent PostgreSQL failure, got \(String(describing: failure))")
            return
        }
        #expect(postgres.sqlState == "42501")
        #expect(postgres.message.contains("permission denied"))
        #expect(try TestPostgres.connect(url).query("SELECT COUNT(*) FROM pg_tables WHERE tablename LIKE 'client_%'").first?.first?.integer == 0)
    }

    @Test("a server that refuses connections is retried until the timeout")
    func connectionRefused() throws {
        let url = "postgresql://mai_test:x@127.0.0.1:1/postgres"
        let recorder = LogRecorder()
        let failure = initialize(["DATABASE_URL": url], timeout: .milliseconds(600), recorder: recorder).failure
        guard case .timedOut(let last, let attempts, _) = failure else {
            Issue.record("expected a timeout, got \(String(describing: failure))")
            return
        }
        #expect(attempts >= 2)
        #expect(last.isTransient)
        #expect(recorder.messages(at: .warning).first?.contains("Connection refused") == true)
    }
}

extension OldPythonSchema {
    static let postgres = """
        CREATE TABLE client_organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL, openrouter_api_key TEXT NOT NULL, \
        markup_rate DOUBLE PRECISION DEFAULT 1.3, is_active INTEGER DEFAULT 1, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE TABLE client_user_daily_usage (id SERIAL PRIMARY KEY, client_org_id TEXT NOT NULL REFERENCES client_organizations(id), \
        user_id TEXT NOT NULL, usage_date DATE NOT NULL, openrouter_user_id TEXT, total_tokens INTEGER DEFAULT 0, \
        total_requests INTEGER DEFAULT 0, raw_cost REAL DEFAULT 0.0, markup_cost REAL DEFAULT 0.0, created_at TEXT NOT NULL, \
        updated_at TEXT);
        CREATE TABLE client_model_daily_usage (id SERIAL PRIMARY KEY, client_org_id TEXT NOT NULL REFERENCES client_organizations(id), \
        model_name TEXT NOT NULL, provider TEXT NOT NULL, usage_date DATE NOT NULL, total_tokens INTEGER DEFAULT 0, \
        total_requests INTEGER DEFAULT 0, raw_cost REAL DEFAULT 0.0, markup_cost REAL DEFAULT 0.0, created_at TEXT NOT NULL, \
        updated_at TEXT);

        """
}
