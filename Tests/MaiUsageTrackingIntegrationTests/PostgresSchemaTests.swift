import Foundation
import MaiOpenWebUI
import MaiSQL
import MaiUsageTracking
import Testing

/// DATABASE_SCHEMA on the real PostgreSQL: Open WebUI keeps all its tables in that schema (it must exist:
/// open_webui/migrations/env.py refuses to start otherwise), so the usage tables go there too.
@Suite("PostgreSQL DATABASE_SCHEMA", .enabled(if: TestPostgres.enabled, "MAI_TEST_SKIP_POSTGRES=1"))
struct PostgresSchemaTests {
    /// A name that needs quoting: capitals, a space and a double quote.
    static let awkward = "Tenant \"A\" usage"

    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    static func tables(in schema: String, _ database: PostgresConnection) throws -> [String] {
        try database.query("SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY 1", [.text(schema)])
            .map { $0[0].description }
    }

    @Test("the usage tables, their indexes and the migration record go into DATABASE_SCHEMA, nothing into public")
    func tablesInSchema() throws {
        let url = try TestPostgres.freshDatabase()
        let database = try TestPostgres.connect(url)
        try database.execute("CREATE SCHEMA \(Self.quoted(Self.awkward))")
        let report = try #require(initialize(["DATABASE_URL": url, "DATABASE_SCHEMA": Self.awkward]).report)
        #expect(report.change == .created)
        #expect(report.schema == SchemaState(version: 3, applied: [3], deferred: nil))
        #expect(try Self.tables(in: Self.awkward, database)
            == ["client_model_daily_usage", "client_organizations", "client_user_daily_usage", "mai_schema_migrations"])
        #expect(try Self.tables(in: "public", database) == [])
        let indexes = try database.query("SELECT COUNT(*) FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE 'idx_%'",
                                         [.text(Self.awkward)])
        #expect(indexes.first?.first?.integer == 6)
        let again = try #require(initialize(["DATABASE_URL": url, "DATABASE_SCHEMA": Self.awkward]).report)
        #expect(again.change == .unchanged)
        #expect(again.schema.applied == [])
    }

    @Test("a DATABASE_SCHEMA that does not exist fails at once, one line, and nothing is created")
    func missingSchema() throws {
        let url = try TestPostgres.freshDatabase()
        let started = ContinuousClock.now
        let failure = initialize(["DATABASE_URL": url, "DATABASE_SCHEMA": "no_such_schema"]).failure
        guard case .permanent(let error) = failure else {
            Issue.record("expected a permanent failure, got \(String(describing: failure))")
            return
        }
        // `.permanent` above is the proof that it was not retried; the bound is only a backstop.
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(error.description.contains("DATABASE_SCHEMA \"no_such_schema\" does not exist"))
        #expect(!error.description.contains("\n"))
        let database = try TestPostgres.connect(url)
        #expect(try database.query("SELECT COUNT(*) FROM pg_namespace WHERE nspname = 'no_such_schema'").first?.first?.integer == 0)
        #expect(try Self.tables(in: "public", database) == [])
    }

    @Test("two schemas of one database are two installations: their own tables, organization row and status")
    func twoSchemas() throws {
        let url = try TestPostgres.freshDatabase()
        let database = try TestPostgres.connect(url)
        try database.execute("CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b")
        #expect(initialize(["DATABASE_URL": url, "DATABASE_SCHEMA": "tenant_a", "ORGANIZATION_NAME": "A"]).report?.change == .created)
        #expect(initialize(["DATABASE_URL": url, "DATABASE_SCHEMA": "tenant_b", "ORGANIZATION_NAME": "B"]).report?.change == .created)
        #expect(try database.query("SELECT name FROM tenant_a.client_organizations").map { $0[0].description } == ["A"])
        #expect(try database.query("SELECT name FROM tenant_b.client_organizations").map { $0[0].description } == ["B"])
        let status = try readStatus(try DatabaseLocation.resolve(["DATABASE_URL": url, "DATABASE_SCHEMA": "tenant_b"]),
                                    organizationID: "org-acme")
        #expect(status.lines[1].hasPrefix("organization: id=org-acme name=B "))
        // Without DATABASE_SCHEMA: public, where nothing was initialized.
        let plain = try readStatus(try DatabaseLocation.resolve(["DATABASE_URL": url]), organizationID: nil)
        #expect(plain.lines[0] == "schema: v0 (not initialized)")
    }

    @Test("the schema lock is per schema: a held lock on one schema does not hold back another")
    func lockPerSchema() throws {
        let url = try TestPostgres.freshDatabase()
        let database = try TestPostgres.connect(url)
        try database.execute("CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b")
        let holder = try PostgresConnection(target: PostgresTarget(uri: url, schema: "tenant_a"), timeout: .seconds(10))
        try holder.beginLocked()
        defer { holder.rollbackQuietly() }
        let other = initialize(["DATABASE_URL": url, "DATABASE_SCHEMA": "tenant_b"], timeout: .seconds(3))
        #expect(other.report?.change == .created, "\(String(describing: other.failure))")
        let held = initialize(["DATABASE_URL": url, "DATABASE_SCHEMA": "tenant_a"], timeout: .milliseconds(800))
        guard case .timedOut(let last, _, _) = held.failure else {
            Issue.record("expected a timeout behind the held lock, got \(String(describing: held.failure))")
            return
        }
        #expect(last.isTransient)
    }
}
