import Foundation
import Glibc
import MaiTestSupport
import Testing

/// The app's order of events, with the program as PID 1: the mAI app's own migration makes the usage tables
/// when the server starts (a stand-in server runs the app's DDL with no IF NOT EXISTS, as Open WebUI runs its
/// migrations, and exits 1 when it fails), so the program must not make them first, and records the
/// organization after it.
@Suite("The app's own migration makes the usage tables", .serialized)
struct AppMigrationOrderTests {
    /// A DATA_DIR beside an installed "app": Open WebUI's head (`0bd252b206fb`) and the stand-in of the app's
    /// usage migration (`Tests/Fixtures/mai-app-migration`) after it.
    struct Instance {
        let root: String
        var data: String { root + "/data" }
        var database: String { data + "/webui.db" }
        var backend: String { root + "/backend" }
        var schemaFile: String { root + "/app-usage-tables.sql" }

        init() throws {
            root = try makeTemporaryDirectory().path
            let versions = backend + "/open_webui/migrations/versions"
            try FileManager.default.createDirectory(atPath: versions, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            try "revision = '0bd252b206fb'\ndown_revision = None\n".write(toFile: versions + "/0bd252b206fb_head.py", atomically: true, encoding: .utf8)
            let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/mai-app-migration/maiusage0001_client_usage_tables.py").path
            try FileManager.default.copyItem(atPath: fixture, toPath: versions + "/maiusage0001_client_usage_tables.py")
            try AppUsageSQL.sqlite.write(toFile: schemaFile, atomically: true, encoding: .utf8)
            try sqlite(database, "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY); INSERT INTO alembic_version VALUES ('0bd252b206fb');")
        }

        var environment: [String: String] {
            ["DATA_DIR": data, "OPENROUTER_EXTERNAL_USER": "org-acme", "ORGANIZATION_NAME": "Acme Corp",
             "OPENROUTER_API_KEY": "sk-or-v1-0123456789abcdef0123456789abcdef", "MAI_ENTRYPOINT_OPENWEBUI_DIR": backend,
             "MAI_ENTRYPOINT_KEEP_BACKUPS": "0"]
        }

        func server(schema: Bool = true) -> [String] {
            ["--", "python3", child("app_migrating_server.py"), database, schema ? schemaFile : "-", "maiusage0001"]
        }
    }

    @Test("fresh volume: the app's migration succeeds, then the organization is written with epoch timestamps")
    func freshVolume() throws {
        let instance = try Instance()
        let run = try ProgramProcess(instance.server(), environment: instance.environment, pidNamespace: true)
        try run.waitForLog("Usage tracking initialized for Acme Corp", timeout: .seconds(30))
        #expect(run.stdout.contains("migrated"), "the app's migration: \(run.stdout)")
        #expect(run.stderr.contains("Usage tracking waits for the app's schema: Open WebUI's migration maiusage0001 creates the usage tables"))
        #expect(try sqlite(instance.database, "SELECT id, typeof(created_at), markup_rate, is_active FROM client_organizations") == ["org-acme|integer|1.3|1"])
        // The app writes its rows its way.
        try sqlite(instance.database, "INSERT INTO client_user_daily_usage (id, client_org_id, user_id, openrouter_user_id, usage_date, total_tokens, total_requests, raw_cost, markup_cost, created_at, updated_at) VALUES ('org-acme:u1:2026-12-06', 'org-acme', 'u1', 'or-u1', '2026-12-06', 10, 1, 0.1, 0.13, 1796600000, 1796600000)")
        try run.signal(SIGTERM)
        #expect(try run.wait() == 143)
    }

    @Test("tables an earlier version made: set aside before the server, the app's migration succeeds, every row carried back")
    func earlierTablesCarried() throws {
        let instance = try Instance()
        try sqlite(instance.database, AppTablesSQL.earlierVersion)
        let run = try ProgramProcess(instance.server(), environment: instance.environment, pidNamespace: true)
        try run.waitForLog("Usage tracking initialized for Acme Corp", timeout: .seconds(30))
        #expect(run.stdout.contains("migrated"), "the app's migration: \(run.stdout)")
        #expect(run.stderr.contains("Usage tables set aside for the app's migration maiusage0001"), "\(run.stderr)")
        #expect(run.stderr.contains("Usage rows carried into the app's tables: 1 from mai_aside_client_organizations into client_organizations, 2 from mai_aside_client_user_daily_usage into client_user_daily_usage"), "\(run.stderr)")
        #expect(try sqlite(instance.database, "SELECT id, total_tokens, created_at FROM client_user_daily_usage ORDER BY id") == ["1|1200|1753351200", "2|300|1753354800"])
        #expect(try sqlite(instance.database, "SELECT name FROM sqlite_master WHERE name LIKE 'mai_aside_%'") == [])
        try run.signal(SIGTERM)
        #expect(try run.wait() == 143)
    }

    @Test("no app migration: an earlier version's tables are carried in place, after a backup of webui.db")
    func carriedInPlaceAfterABackup() throws {
        let root = try makeTemporaryDirectory().path
        let database = root + "/webui.db"
        try sqlite(database, AppTablesSQL.earlierVersion)
        let environment = ["DATA_DIR": root, "OPENROUTER_EXTERNAL_USER": "org-acme", "ORGANIZATION_NAME": "Acme Corp",
                           "OPENROUTER_API_KEY": "sk-or-v1-0123456789abcdef0123456789abcdef"]
        let run = try runProgram(["--", "true"], environment: environment, pidNamespace: true)
        #expect(run.process.terminationStatus == 0, "\(run.stderr)")
        let backup = run.stderr.range(of: "Backup of webui.db before the usage tables are carried to the app's shape: ")
        let carried = run.stderr.range(of: "Usage schema migration 3 (the app's shape) applied: carried")
        #expect(backup != nil && carried != nil && backup!.lowerBound < carried!.lowerBound, "\(run.stderr)")
        let copies = (try? FileManager.default.contentsOfDirectory(atPath: root + "/backups")) ?? []
        #expect(copies.count == 1, "\(copies)")
        if let copy = copies.first {
            #expect(try sqlite(root + "/backups/" + copy, "SELECT typeof(id), COUNT(*) FROM client_user_daily_usage") == ["integer|2"])
        }
        #expect(try sqlite(database, "SELECT typeof(id), COUNT(*) FROM client_user_daily_usage") == ["text|2"])
    }

    @Test("--init-required: tables that never appear stop the server as a TERM would, and the run exits 1")
    func requiredAndNeverMade() throws {
        let instance = try Instance()
        let options = ["--init-required", "--init-timeout", "1", "--init-backoff", "0.05"]
        let run = try runProgram(options + instance.server(schema: false), environment: instance.environment, pidNamespace: true)
        #expect(run.process.terminationStatus == 1, "\(run.stderr)")
        #expect(run.stderr.contains("stopping the server: usage tracking is required (--init-required) and was not initialized after the app's migrations"), "\(run.stderr)")
        #expect(run.stderr.contains("Open WebUI's migration maiusage0001, which makes the usage tables, has not run yet"), "\(run.stderr)")
        #expect(run.stderr.contains("stop requested; forwarding"), "\(run.stderr)")
    }

    @Test("status and init-db before the app's migration say that the app has not made its tables yet")
    func statusAndInitDBInTheWindow() throws {
        let instance = try Instance()
        let status = try runProgram(["status"], environment: instance.environment)
        #expect(status.process.terminationStatus == 0, "\(status.stderr)")
        #expect(status.stdout.contains("usage_tables: not made yet: the app's migration maiusage0001 makes them when the server starts"), "\(status.stdout)")
        let initDB = try runProgram(["init-db"], environment: instance.environment)
        #expect(initDB.process.terminationStatus == 1)
        #expect(initDB.stderr.contains("the app has not made its usage tables yet"), "\(initDB.stderr)")
        #expect(try sqlite(instance.database, "SELECT name FROM sqlite_master WHERE name LIKE 'client_%'") == [])
    }
}

enum AppTablesSQL {
    /// The tables versions 1 and 2 of this program made (integer ids, ISO text, a unique daily key), with rows.
    static let earlierVersion = EarlierUsageSQL.sqlite + """
        CREATE INDEX idx_user_usage_org_date ON client_user_daily_usage(client_org_id, usage_date);
        CREATE UNIQUE INDEX uq_user_usage_org_user_date ON client_user_daily_usage(client_org_id, user_id, usage_date);
        INSERT INTO client_organizations VALUES ('org-acme', 'Acme Old', 'sk-old', 1.5, 1, '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z');
        INSERT INTO client_user_daily_usage (client_org_id, user_id, usage_date, total_tokens, created_at) VALUES ('org-acme', 'u1', '2025-07-24', 1200, '2025-07-24T10:00:00.000Z');
        INSERT INTO client_user_daily_usage (client_org_id, user_id, usage_date, total_tokens, created_at) VALUES ('org-acme', 'u2', '2025-07-24', 300, '2025-07-24T11:00:00.000Z');
        """
}
