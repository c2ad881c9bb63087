import Foundation
import Glibc
import Testing

@Suite("Database: concurrent starts and crashes", .serialized)
struct DatabaseCommandConcurrencyTests {
    @Test("sixteen init-db at once on one SQLite file: one organization row, each migration applied once")
    func sixteenOnSQLite() throws {
        let database = try SQLiteFixture()
        let runs = try startSixteen(tracking(database.url), in: database.directory)
        try expectOneWinner(runs)
        #expect(try database.query("SELECT id, name FROM client_organizations") == ["org-acme|Acme"])
        #expect(try database.query("SELECT version FROM mai_schema_migrations ORDER BY version") == ["3"])
        #expect(try database.query("PRAGMA integrity_check") == ["ok"])
    }

    @Test("sixteen init-db at once on one PostgreSQL database: the same",
          .enabled(if: ClusterForTests.enabled, "MAI_TEST_SKIP_POSTGRES=1"))
    func sixteenOnPostgres() throws {
        let url = try ClusterForTests.freshDatabase()
        let runs = try startSixteen(tracking(url), in: try makeTemporaryDirectory().path)
        try expectOneWinner(runs)
        #expect(try ClusterForTests.psql(url, "SELECT id, name FROM client_organizations") == ["org-acme|Acme"])
        #expect(try ClusterForTests.psql(url, "SELECT version FROM mai_schema_migrations ORDER BY version") == ["3"])
    }

    @Test("SIGKILL at 50 random points of initialization: every database is at a complete version, and the next run finishes")
    func killedAtRandomPoints() throws {
        let duration = try typicalRunDuration()
        var versionsSeen: [Int: Int] = [:]
        var insideTransaction = 0
        for _ in 0..<50 {
            let database = try SQLiteFixture()
            let program = try ProgramProcess(["init-db"], environment: tracking(database.url), workingDirectory: database.directory)
            // Most of a run is the process starting; the database work is its last part, so aim there.
            usleep(UInt32(Double(duration.microseconds) * Double.random(in: 0.3...1.1)))
            kill(program.process.processIdentifier, SIGKILL)
            _ = try program.wait(timeout: .seconds(10))
            // A journal left behind means the kill landed inside a write transaction.
            if (try? FileManager.default.attributesOfItem(atPath: database.path + "-journal")[.size] as? Int) ?? 0 > 0 {
                insideTransaction += 1
            }
            let version = try completeVersion(database)
            versionsSeen[version, default: 0] += 1
            let rerun = try runProgram(["init-db"], environment: tracking(database.url), workingDirectory: database.directory)
            #expect(rerun.process.terminationStatus == 0, "\(rerun.stderr)")
            #expect(try completeVersion(database) == 3)
            #expect(try database.query("SELECT name FROM client_organizations") == ["Acme"])
        }
        print("kill test: databases at version 0 or 3:", [0, 3].map { versionsSeen[$0, default: 0] },
              "- killed inside a transaction:", insideTransaction)
        // What makes the test mean something: kills that landed inside a write transaction (a journal left
        // behind), and both before and after the commit. (It asserted that 50 counts summed to 50.) About 10 of
        // the 50 land inside here; none in 50 would have a chance of about 1 in 70,000.
        #expect(insideTransaction > 0, "no kill landed inside a transaction: \(versionsSeen)")
        #expect(versionsSeen[0, default: 0] > 0 && versionsSeen[3, default: 0] > 0, "kills before and after the commit: \(versionsSeen)")
    }

    @Test("SIGKILL at 10 random points on PostgreSQL: every database is at a complete version",
          .enabled(if: ClusterForTests.enabled, "MAI_TEST_SKIP_POSTGRES=1"))
    func killedOnPostgres() throws {
        let sample = try ClusterForTests.freshDatabase()
        let started = ContinuousClock.now
        try runProgram(["init-db"], environment: tracking(sample))
        let duration = ContinuousClock.now - started
        for _ in 0..<10 {
            let url = try ClusterForTests.freshDatabase()
            let program = try ProgramProcess(["init-db"], environment: tracking(url))
            usleep(UInt32(Double(duration.microseconds) * Double.random(in: 0.3...1.1)))
            kill(program.process.processIdentifier, SIGKILL)
            _ = try program.wait(timeout: .seconds(10))
            let hasRecords = try ClusterForTests.psql(url, "SELECT to_regclass('mai_schema_migrations') IS NOT NULL") == ["t"]
            let recorded = hasRecords
                ? try ClusterForTests.psql(url, "SELECT string_agg(version::text, ',' ORDER BY version) FROM mai_schema_migrations")
                : [""]
            let objects = try ClusterForTests.psql(url, """
                SELECT COUNT(*) FROM pg_class WHERE (relkind = 'r' AND relname LIKE 'client%') OR relname IN
                ('idx_api_key', 'idx_active', 'idx_client_user_date', 'idx_user_date', 'idx_client_model_date', 'idx_model_date')
                """)
            let expected = ["": ["0"], "3": ["9"]]
            #expect(expected[recorded.first ?? ""] == objects, "records \(recorded), objects \(objects)")
        }
    }

    private func startSixteen(_ environment: [String: String], in directory: String) throws -> [ProgramProcess] {
        let runs = try (0..<16).map { _ in try ProgramProcess(["init-db"], environment: environment, workingDirectory: directory) }
        for run in runs { try run.wait(timeout: .seconds(60)) }
        return runs
    }

    private func expectOneWinner(_ runs: [ProgramProcess]) throws {
        for run in runs { #expect(run.process.terminationStatus == 0, "\(run.stderr)") }
        let logs = runs.map(\.stderr)
        #expect(logs.filter { $0.contains("Usage schema migration 3 (the app's shape) applied") }.count == 1)
        #expect(logs.filter { $0.contains("(organization created; schema v3)") }.count == 1)
        #expect(logs.filter { $0.contains("(organization unchanged; schema v3)") }.count == 15)
    }

    /// How long one init-db on a fresh file takes here, so the kills spread over the whole run.
    private func typicalRunDuration() throws -> Duration {
        let database = try SQLiteFixture()
        let started = ContinuousClock.now
        try runProgram(["init-db"], environment: tracking(database.url), workingDirectory: database.directory)
        return ContinuousClock.now - started
    }

    /// The schema version whose objects are all there, and only those: any mixture fails the test.
    private func completeVersion(_ database: SQLiteFixture) throws -> Int {
        guard FileManager.default.fileExists(atPath: database.path) else { return 0 }
        #expect(try database.query("PRAGMA integrity_check") == ["ok"])
        let objects = Set(try database.query("SELECT name FROM sqlite_master WHERE name LIKE 'client_%' OR name LIKE 'idx_%' OR name LIKE 'uq_%'"))
        let hasRecords = try database.query("SELECT COUNT(*) FROM sqlite_master WHERE name = 'mai_schema_migrations'") == ["1"]
        let recorded = hasRecords ? try database.query("SELECT version FROM mai_schema_migrations ORDER BY version") : []
        let version3: Set = ["client_organizations", "client_user_daily_usage", "client_model_daily_usage",
                             "idx_api_key", "idx_active", "idx_client_user_date", "idx_user_date",
                             "idx_client_model_date", "idx_model_date"]
        switch recorded {
        case []: #expect(objects.isEmpty, "objects without a recorded version: \(objects)"); return 0
        case ["3"]: #expect(objects == version3); return 3
        default: Issue.record("unexpected migration records \(recorded)"); return -1
        }
    }
}

extension Duration {
    var microseconds: Int64 { components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000 }
}
