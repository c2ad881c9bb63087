import Foundation
import Glibc
import MaiOpenWebUI
@testable import MaiSQL
import MaiTestSupport
@testable import MaiUsageTracking
import Testing

/// The usage tables as the mAI app itself makes them (its own Alembic migration; SQLAlchemy's rendering on
/// SQLite, captured from `Tests/Fixtures/mai-app-migration`), and the rows it writes: string ids of its own
/// choosing, epoch-second timestamps, no provider.
enum AppMadeSchema {
    static let tables = AppUsageSQL.sqlite + ";\n"

    /// What the app writes for one request of user u1 on model gpt-4o: its own ids, no provider.
    static func appWrites(org: String) -> String {
        """
        INSERT INTO client_user_daily_usage (id, client_org_id, user_id, openrouter_user_id, usage_date, total_tokens, \
        total_requests, raw_cost, markup_cost, created_at, updated_at) VALUES ('\(org):u1:2026-12-06', '\(org)', 'u1', \
        'or-u1', '2026-12-06', 120, 1, 0.002, 0.0026, 1796600000, 1796600000);
        INSERT INTO client_model_daily_usage (id, client_org_id, model_name, usage_date, total_tokens, total_requests, \
        raw_cost, markup_cost, created_at, updated_at) VALUES ('7f0c2d1e-4b5a-4c3d-9e8f-\(org)', '\(org)', \
        'openai/gpt-4o', '2026-12-06', 120, 1, 0.002, 0.0026, 1796600000, 1796600000);

        """
    }

    /// A versions folder whose last script makes the usage tables (`maiusage0001`, after `base00000001`).
    static func scripts(appMakesUsageTables: Bool = true) -> MigrationScripts {
        var files = [(name: "base.py", text: "revision = 'base00000001'\ndown_revision = None\n")]
        if appMakesUsageTables {
            files.append((name: "usage.py", text: "revision = 'maiusage0001'\ndown_revision = 'base00000001'\n\ndef upgrade():\n    op.create_table(\n        'client_organizations',\n    )\n"))
        }
        return MigrationScripts.parse(files, directory: "/stand-in/versions")
    }
}

/// A database as the previous version of this program left it: versions 1 and 2 recorded, rows in them.
func makeTodaysTables(_ path: String) throws {
    let connection = try SQLiteConnection(path: path, mode: .readWriteCreate, busyTimeout: .seconds(5), stop: .never())
    let migrator = Migrator(connection: connection, stop: .never(), now: { "2025-01-01T00:00:00.000Z" },
                            migrations: [.createUsageTables, .uniqueDailyRows])
    _ = try connection.transaction { () throws(DatabaseError) in try migrator.migrateInTransaction() }
    try connection.execute(OldPythonSchema.rows)
}

func initialize(_ path: String, scripts: MigrationScripts?, timing: AppSchemaTiming,
                recorder: LogRecorder = LogRecorder()) -> InitializationOutcome {
    var step = UsageTrackingInitialization(environment: organizationEnvironment.merging(["DATABASE_URL": "sqlite:///" + path]) { $1 },
                                           policy: RetryPolicy(base: .milliseconds(20), cap: .milliseconds(100), timeout: .milliseconds(300)),
                                           logger: recorder.logger, stop: .never())
    step.scripts = scripts
    step.timing = timing
    return step.run()
}

@Suite("The app's shape: never in the way of the app's migration, its tables adopted, its types written")
struct AppShapeTests {
    @Test("fresh, no app migration: the tables are the app's, column for column and index for index")
    func freshTablesAreTheAppsShape() throws {
        let folder = try temporaryDirectory()
        #expect(initialize(["DATABASE_URL": "sqlite:///\(folder)/ours.db"]).report?.schema.version == 3)
        try shell("sqlite3 \(quoted(folder + "/app.db")) \(quoted(AppMadeSchema.tables))")
        for table in UsageTables.all {
            let shape = "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('\(table)')"
            #expect(try sqlite(folder + "/ours.db", shape) == sqlite(folder + "/app.db", shape), "\(table)")
        }
        let indexes = "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' AND tbl_name LIKE 'client_%' ORDER BY name"
        #expect(try sqlite(folder + "/ours.db", indexes) == sqlite(folder + "/app.db", indexes))
        #expect(try sqlite(folder + "/ours.db", "SELECT typeof(created_at), typeof(updated_at) FROM client_organizations") == ["integer|integer"])
        let stamp = try #require(try sqlite(folder + "/ours.db", "SELECT created_at FROM client_organizations").first.flatMap { Int64($0) })
        #expect(abs(stamp - Int64(time(nil))) < 120, "epoch seconds of now: \(stamp)")
        // The app's own writes then succeed: its string ids, no provider.
        try shell("sqlite3 \(quoted(folder + "/ours.db")) \(quoted(AppMadeSchema.appWrites(org: "org-acme")))")
    }

    @Test("a database the app made is adopted, and the app's rows go on being written")
    func appMadeTablesAreAdopted() throws {
        let path = try temporaryDirectory() + "/webui.db"
        try shell("sqlite3 \(quoted(path)) \(quoted(AppMadeSchema.tables + AppMadeSchema.appWrites(org: "org-acme")))")
        let recorder = LogRecorder()
        let outcome = initialize(["DATABASE_URL": "sqlite:///" + path], recorder: recorder)
        #expect(outcome.report?.change == .created, "\(recorder.messages)")
        #expect(recorder.messages.contains { $0.contains("adopted the app's client_organizations, client_user_daily_usage, client_model_daily_usage") })
        #expect(try sqlite(path, "SELECT id, markup_rate, is_active, typeof(created_at) FROM client_organizations") == ["org-acme|1.3|1|integer"])
        #expect(try sqlite(path, "SELECT COUNT(*) FROM client_user_daily_usage") == ["1"])
        try shell("sqlite3 \(quoted(path)) \(quoted(AppMadeSchema.appWrites(org: "org-b")))")
    }

    @Test("today's tables without an app migration: carried to the app's shape in one transaction, every row kept")
    func todaysTablesAreCarried() throws {
        let path = try temporaryDirectory() + "/webui.db"
        try makeTodaysTables(path)
        let recorder = LogRecorder()
        #expect(initialize(["DATABASE_URL": "sqlite:///" + path], recorder: recorder).report?.schema.version == 3, "\(recorder.messages)")
        try expectCarried(path)
        #expect(try sqlite(path, "SELECT version FROM mai_schema_migrations ORDER BY version") == ["1", "2", "3"])
        #expect(try sqlite(path, "SELECT name FROM sqlite_master WHERE name LIKE 'mai_aside_%' OR name LIKE 'uq_%'") == [])
        try shell("sqlite3 \(quoted(path)) \(quoted(AppMadeSchema.appWrites(org: "org-acme")))")
    }

    @Test("an index of the app's name on another table is an error naming it; nothing is written")
    func conflictingIndexIsRefused() throws {
        let path = try temporaryDirectory() + "/webui.db"
        try shell("sqlite3 \(quoted(path)) \(quoted("CREATE TABLE client_daily_usage (id TEXT, is_active INTEGER); CREATE INDEX idx_active ON client_daily_usage (is_active);"))")
        let before = try #require(fileBytes(path))
        let recorder = LogRecorder()
        #expect(initialize(["DATABASE_URL": "sqlite:///" + path], recorder: recorder).report == nil)
        #expect(fileBytes(path) == before)
        #expect(recorder.messages(at: .error).contains { $0.contains("index idx_active should be on client_organizations (is_active) but is on client_daily_usage (is_active)") },
                "\(recorder.messages)")
    }

    @Test("the app's migration pending: nothing created before it; today's tables set aside, then carried back")
    func setAsideForTheAppsMigration() throws {
        let path = try temporaryDirectory() + "/webui.db"
        let scripts = AppMadeSchema.scripts()
        // A fresh database: nothing of ours is made, the app's create_table would fail on it.
        #expect(initialize(path, scripts: scripts, timing: .beforeServer) == .waitingForApp(revision: "maiusage0001"))
        #expect(try sqlite(path, "SELECT name FROM sqlite_master") == [])
        // init-db on its own in that window says so and fails.
        let recorder = LogRecorder()
        #expect(initialize(path, scripts: scripts, timing: .standalone, recorder: recorder).failure != nil)
        #expect(recorder.messages(at: .error).contains { $0.contains("the app has not made its usage tables yet") })

        try makeTodaysTables(path)
        _ = try sqlite(path, "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY); INSERT INTO alembic_version VALUES ('base00000001');")
        #expect(initialize(path, scripts: scripts, timing: .beforeServer) == .waitingForApp(revision: "maiusage0001"))
        #expect(try sqlite(path, "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%client%' ORDER BY name")
                == ["mai_aside_client_model_daily_usage", "mai_aside_client_organizations", "mai_aside_client_user_daily_usage"])
        // The app's migration now succeeds (its CREATE TABLE and CREATE INDEX find their names free) …
        try shell("sqlite3 \(quoted(path)) \(quoted(AppMadeSchema.tables + "UPDATE alembic_version SET version_num = 'maiusage0001';"))")
        // … and the run after it carries the rows back.
        #expect(initialize(path, scripts: scripts, timing: .afterAppMigrations).report?.schema.version == 3)
        try expectCarried(path)
    }

    @Test("after the app's migrations, waiting is bounded by the init timeout")
    func afterAppMigrationsWaitsForTheTables() throws {
        let path = try temporaryDirectory() + "/webui.db"
        let outcome = initialize(path, scripts: AppMadeSchema.scripts(), timing: .afterAppMigrations)
        guard case .timedOut(let last, _, _)? = outcome.failure else { Issue.record("\(outcome)"); return }
        #expect(last == .appTablesPending(revision: "maiusage0001", transient: true))
    }

    /// Every row of `OldPythonSchema.rows`, in the app's shape.
    func expectCarried(_ path: String) throws {
        #expect(try sqlite(path, "SELECT id, name, markup_rate, created_at, typeof(updated_at) FROM client_organizations")
                == ["org-acme|Acme Corp|1.5|1735689600|integer"])
        #expect(try sqlite(path, "SELECT id, typeof(id), user_id, total_tokens, openrouter_user_id, created_at, updated_at FROM client_user_daily_usage ORDER BY id")
                == ["1|text|u1|1200||1753351200|1753351200", "2|text|u2|300||1753354800|1753354800"])
        #expect(try sqlite(path, "SELECT id, model_name, provider, total_tokens FROM client_model_daily_usage") == ["1|gpt-4o|openai|1500"])
    }
}

@Suite("The app's shape on PostgreSQL", .enabled(if: TestPostgres.enabled))
struct PostgresAppShapeTests {
    @Test("today's tables carried, the app's adopted, an index name taken in the schema refused")
    func carriedAdoptedRefused() throws {
        let url = try TestPostgres.freshDatabase()
        let database = try TestPostgres.connect(url)
        let migrator = Migrator(connection: database, stop: .never(), now: { "2025-01-01T00:00:00.000Z" },
                                migrations: [.createUsageTables, .uniqueDailyRows])
        _ = try database.transaction { () throws(DatabaseError) in try migrator.migrateInTransaction() }
        try database.execute(OldPythonSchema.rows)
        let recorder = LogRecorder()
        #expect(initialize(["DATABASE_URL": url], recorder: recorder).report?.schema.version == 3, "\(recorder.messages)")
        #expect(try database.query("SELECT id, created_at FROM client_organizations").map { $0.map(\.description) } == [["org-acme", "1735689600"]])
        #expect(try database.query("SELECT id, created_at FROM client_user_daily_usage ORDER BY id").map { $0.map(\.description) }
                == [["1", "1753351200"], ["2", "1753354800"]])
        try database.execute(AppMadeSchema.appWrites(org: "org-acme"))

        // Another database: an index named idx_active on another table of the schema.
        let other = try TestPostgres.freshDatabase()
        let second = try TestPostgres.connect(other)
        try second.execute("CREATE TABLE client_daily_usage (id TEXT, is_active INTEGER); CREATE INDEX idx_active ON client_daily_usage (is_active)")
        let refused = LogRecorder()
        #expect(initialize(["DATABASE_URL": other], recorder: refused).report == nil)
        #expect(refused.messages(at: .error).contains { $0.contains("index idx_active should be on client_organizations (is_active) but is on client_daily_usage (is_active)") },
                "\(refused.messages)")
        #expect(try second.tableExists("client_organizations") == false)
    }
}

extension PostgresAppShapeTests {
    /// A fresh database where today's tables (versions 1 and 2, with rows) were set aside before the server, and
    /// the app's own DDL then ran (SQLAlchemy's text is valid here too: client_organizations_pkey must be free).
    static func setAsideThenAppMigrated() throws -> (url: String, database: PostgresConnection, step: UsageTrackingInitialization) {
        let url = try TestPostgres.freshDatabase()
        let database = try TestPostgres.connect(url)
        let migrator = Migrator(connection: database, stop: .never(), now: { "2025-01-01T00:00:00.000Z" },
                                migrations: [.createUsageTables, .uniqueDailyRows])
        _ = try database.transaction { () throws(DatabaseError) in try migrator.migrateInTransaction() }
        try database.execute(OldPythonSchema.rows + "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY); INSERT INTO alembic_version VALUES ('base00000001');")
        var step = UsageTrackingInitialization(environment: organizationEnvironment.merging(["DATABASE_URL": url]) { $1 },
                                               policy: RetryPolicy(timeout: .seconds(5)), logger: LogRecorder().logger, stop: .never())
        step.scripts = AppMadeSchema.scripts()
        #expect(step.run() == .waitingForApp(revision: "maiusage0001"))
        try database.execute(AppMadeSchema.tables + "UPDATE alembic_version SET version_num = 'maiusage0001';")
        return (url, database, step)
    }

    @Test("the app's migration pending: today's tables set aside (indexes and keys renamed), the app's DDL succeeds, rows carried back")
    func setAsideOnPostgres() throws {
        let setUp = try Self.setAsideThenAppMigrated()
        let database = setUp.database
        var step = setUp.step
        step.timing = .afterAppMigrations
        #expect(step.run().report?.schema.version == 3)
        #expect(try database.query("SELECT id, created_at FROM client_user_daily_usage ORDER BY id").map { $0.map(\.description) }
                == [["1", "1753351200"], ["2", "1753354800"]])
        #expect(try database.query("SELECT COUNT(*) FROM pg_class WHERE relname LIKE 'mai_aside_%' AND relkind IN ('r', 'i')").first?.first?.integer == 0)
    }
}

@Suite("The carry to the app's shape survives SIGKILL at any point")
struct AppShapeKillTests {
    /// A versions folder holding the stand-in of the app's usage migration after a base revision.
    static func versionsFolder() throws -> String {
        let backend = try temporaryDirectory()
        let versions = backend + "/open_webui/migrations/versions"
        try FileManager.default.createDirectory(atPath: versions, withIntermediateDirectories: true)
        for file in AppMadeSchema.scripts().revisions.keys.sorted() {
            let down = AppMadeSchema.scripts().revisions[file]?.first.map { "'\($0)'" } ?? "None"
            let body = file == "maiusage0001" ? "op.create_table('client_organizations')\n" : ""
            try "revision = '\(file)'\ndown_revision = \(down)\n\(body)".write(toFile: "\(versions)/\(file).py", atomically: true, encoding: .utf8)
        }
        return backend
    }

    /// SIGKILL at random points of each run; after each, either the earlier state or the finished one, every row
    /// there, and a run to the end finishes the job.
    func killAtRandomPoints(_ label: String, template: String, arguments: [String], extra: [String: String],
                            seed: UInt64, expectFinished: (String) throws -> Void) throws -> [String: Int] {
        let program = try initDBProgram()
        var generator = SplitMix64(seed: seed)
        var outcomes: [String: Int] = [:]
        let whole = try timeRun(program, arguments, copyOf: template, extra)
        for _ in 0..<12 {
            let path = try temporaryDirectory() + "/webui.db"
            try FileManager.default.copyItem(atPath: template, toPath: path)
            let process = try startRun(program, arguments, path, extra)
            usleep(UInt32.random(in: 0...UInt32(whole * 1.2), using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let aside = try sqlite(path, "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'mai_aside_%'").first
            outcomes[aside == "0" ? "finished" : "set aside", default: 0] += 1
            if aside != "0" {
                #expect(try sqlite(path, "SELECT COUNT(*) FROM mai_aside_client_user_daily_usage") == ["2"], "\(label)")
            }
            let rest = try startRun(program, arguments, path, extra)
            rest.waitUntilExit()
            #expect(rest.terminationStatus == 0, "\(label): the next run finishes the job")
            try expectFinished(path)
        }
        return outcomes
    }

    @Test("carrying today's tables in place (no app migration), and carrying set-aside rows back after the app's")
    func killedWhileCarrying() throws {
        let folder = try temporaryDirectory()
        let todays = folder + "/todays.db"
        try makeTodaysTables(todays)
        let finished = expectEveryRowCarried
        let inPlace = try killAtRandomPoints("in place", template: todays, arguments: ["init-db"], extra: [:],
                                             seed: 20261206, expectFinished: finished)

        // After the app's migration: the tables set aside before the server, the app's made, its revision recorded.
        let afterApp = folder + "/after-app.db"
        try makeTodaysTables(afterApp)
        _ = try sqlite(afterApp, "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY); INSERT INTO alembic_version VALUES ('base00000001');")
        #expect(initialize(afterApp, scripts: AppMadeSchema.scripts(), timing: .beforeServer) == .waitingForApp(revision: "maiusage0001"))
        try shell("sqlite3 \(quoted(afterApp)) \(quoted(AppMadeSchema.tables + "UPDATE alembic_version SET version_num = 'maiusage0001';"))")
        let backend = try Self.versionsFolder()
        let carried = try killAtRandomPoints("after the app", template: afterApp, arguments: ["init-db", "--after-app-migrations"],
                                             extra: ["MAI_ENTRYPOINT_OPENWEBUI_DIR": backend], seed: 20261207, expectFinished: finished)
        // Some kills must land inside the transaction for the test to prove anything.
        #expect(inPlace["set aside", default: 0] + inPlace["finished", default: 0] == 12)
        #expect(carried["set aside", default: 0] > 0, "no kill landed before the carry committed: \(carried)")
    }
}

extension PostgresAppShapeTests {
    @Test("SIGKILL at 10 random points of the carry after the app's migration: set aside or carried, then finished")
    func killedWhileCarryingOnPostgres() throws {
        let program = try initDBProgram()
        let backend = try AppShapeKillTests.versionsFolder()
        var generator = SplitMix64(seed: 20261208)
        var outcomes: [String: Int] = [:]
        // Microseconds a whole run takes here: the first run goes to its end.
        var whole = 200_000.0
        for index in 0..<11 {
            let (url, database, _) = try Self.setAsideThenAppMigrated()
            let extra = ["MAI_ENTRYPOINT_OPENWEBUI_DIR": backend, "DATABASE_URL": url]
            let started = ContinuousClock.now
            let process = try startRun(program, ["init-db", "--after-app-migrations"], nil, extra)
            if index == 0 {
                process.waitUntilExit()
                let (seconds, attoseconds) = (ContinuousClock.now - started).components
                whole = Double(seconds) * 1e6 + Double(attoseconds) / 1e12
            } else {
                usleep(UInt32.random(in: UInt32(whole * 0.3)...UInt32(whole * 1.1), using: &generator))
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            let aside = try database.query("SELECT COUNT(*) FROM pg_tables WHERE tablename LIKE 'mai_aside_%' AND schemaname = current_schema()").first?.first?.integer
            outcomes[aside == 0 ? "finished" : "set aside", default: 0] += 1
            if aside != 0 {
                #expect(try database.query("SELECT COUNT(*) FROM mai_aside_client_user_daily_usage").first?.first?.integer == 2)
            }
            let rest = try startRun(program, ["init-db", "--after-app-migrations"], nil, extra)
            rest.waitUntilExit()
            #expect(rest.terminationStatus == 0)
            #expect(try database.query("SELECT id, created_at FROM client_user_daily_usage ORDER BY id").map { $0.map(\.description) }
                    == [["1", "1753351200"], ["2", "1753354800"]])
        }
        #expect(outcomes["set aside", default: 0] > 0, "no kill landed before the carry committed: \(outcomes)")
    }
}

private func expectEveryRowCarried(_ path: String) throws {
    let rows = try sqlite(path, "SELECT id, created_at FROM client_user_daily_usage ORDER BY id")
    #expect(rows == ["1|1753351200", "2|1753354800"])
    #expect(try sqlite(path, "SELECT id FROM client_organizations") == ["org-acme"])
}

/// The program started on the SQLite file at `path` (nil: the database `extra` names), not waited for.
private func startRun(_ program: String, _ arguments: [String], _ path: String?, _ extra: [String: String]) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    process.environment = ["PATH": "/usr/bin:/bin"].merging(path.map { ["DATABASE_URL": "sqlite:///" + $0] } ?? [:]) { $1 }
        .merging(organizationEnvironment) { $1 }.merging(extra) { $1 }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

/// Microseconds one whole run takes on a copy of the template.
private func timeRun(_ program: String, _ arguments: [String], copyOf template: String, _ extra: [String: String]) throws -> Double {
    let path = try temporaryDirectory() + "/timing.db"
    try FileManager.default.copyItem(atPath: template, toPath: path)
    let start = ContinuousClock.now
    let process = try startRun(program, arguments, path, extra)
    process.waitUntilExit()
    let (seconds, attoseconds) = (ContinuousClock.now - start).components
    return Double(seconds) * 1e6 + Double(attoseconds) / 1e12
}
