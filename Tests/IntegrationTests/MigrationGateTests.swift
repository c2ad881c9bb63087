import Foundation
import Glibc
import Testing

/// The migration gate on a real PostgreSQL: replicas of one client started together, each supervising a
/// stand-in server that migrates the way alembic does (no lock of its own: read alembic_version, migrate for a
/// while, write the head) and then serves /health.
@Suite("Migration gate (PostgreSQL)", .serialized, .enabled(if: ClusterForTests.enabled, "MAI_TEST_SKIP_POSTGRES=1"))
struct MigrationGateTests {
    /// One client: its database, a fake Open WebUI whose scripts end at `bbb`, and the journal its servers share.
    struct Client {
        let url: String
        let directory: URL
        let journal: String
        static let head = "bbb"

        init() throws {
            url = try ClusterForTests.freshDatabase()
            directory = try makeTemporaryDirectory()
            journal = directory.appendingPathComponent("journal").path
            let versions = directory.appendingPathComponent("open_webui/migrations/versions")
            try FileManager.default.createDirectory(at: versions, withIntermediateDirectories: true)
            try "revision = 'aaa'\ndown_revision = None\n".write(to: versions.appendingPathComponent("aaa_first.py"), atomically: true, encoding: .utf8)
            try "revision: str = \"bbb\"\ndown_revision: Union[str, None] = \"aaa\"\n"
                .write(to: versions.appendingPathComponent("bbb_second.py"), atomically: true, encoding: .utf8)
        }

        /// A replica: mai-entrypoint as PID 1 of its own namespace, its server migrating for `migration` seconds.
        func replica(_ name: String, migration: Double = 1.5, options: [String] = []) throws -> ProgramProcess {
            let port = try freeLocalPort()
            return try ProgramProcess(options + ["--", "python3", child("migrating_server.py"), name, String(port), url, Self.head,
                                                 journal, String(migration)],
                                      environment: ["DATABASE_URL": url, "MAI_ENTRYPOINT_OPENWEBUI_DIR": directory.path,
                                                    "MAI_ENTRYPOINT_HEALTH_URL": "http://127.0.0.1:\(port)/health",
                                                    "DATA_DIR": directory.appendingPathComponent("data-\(name)").path],
                                      pidNamespace: true)
        }

        /// (server, step, time) for every journal line.
        var steps: [(name: String, step: String, time: Double)] {
            readLines(journal).compactMap { line in
                let fields = line.split(separator: " ").map(String.init)
                guard fields.count == 3, let time = Double(fields[2]) else { return nil }
                return (fields[0], fields[1], time)
            }
        }

        func time(_ name: String, _ step: String) -> Double? { steps.first { $0.name == name && $0.step == step }?.time }
    }

    @Test("three replicas on a fresh database: one migrates, holding the gate; the others start after its server is ready")
    func threeTogether() throws {
        let client = try Client()
        let replicas = try ["r1", "r2", "r3"].map { try client.replica($0) }
        for replica in replicas { try replica.waitForLog("Web server ready after", timeout: .seconds(60)) }
        let migrators = client.steps.filter { $0.step == "migrate-begin" }.map(\.name)
        #expect(migrators.count == 1, "servers that migrated: \(migrators); journal: \(client.steps)")
        let holders = replicas.filter { $0.stderr.contains("holding the migration gate") }
        #expect(holders.count == 1)
        #expect(replicas.filter { $0.stderr.contains("waiting for another instance's Open WebUI migrations") }.count == 2)
        #expect(holders.first?.stderr.contains("released the migration gate") == true)
        if let migrator = migrators.first, let ready = client.time(migrator, "serving") {
            for name in ["r1", "r2", "r3"] where name != migrator {
                let started = try #require(client.time(name, "start"))
                #expect(started > ready, "\(name) started its server before \(migrator)'s was ready")
            }
        }
        #expect(try ClusterForTests.psql(client.url, "SELECT version_num FROM alembic_version") == [Client.head])
        for replica in replicas {
            try replica.signal(SIGTERM)
            #expect(try replica.wait() == 143)
        }
    }

    @Test("nothing pending: replicas start at once, without the gate")
    func nothingPending() throws {
        let client = try Client()
        try ClusterForTests.psql(client.url, "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('bbb')")
        let replicas = try ["r1", "r2", "r3"].map { try client.replica($0) }
        for replica in replicas { try replica.waitForLog("Web server ready after", timeout: .seconds(60)) }
        for replica in replicas {
            #expect(replica.stderr.contains("no migrations pending, no gate needed"))
            #expect(!replica.stderr.contains("waiting for another instance"))
            #expect(!replica.stderr.contains("holding the migration gate"))
        }
        #expect(client.steps.filter { $0.step == "migrate-begin" }.isEmpty)
        for replica in replicas {
            try replica.signal(SIGTERM)
            #expect(try replica.wait() == 143)
        }
    }

    @Test("a holder killed with SIGKILL frees the gate with its connection; the waiter migrates")
    func holderKilled() throws {
        let client = try Client()
        let first = try client.replica("r1", migration: 120, options: ["--startup-grace", "0"])
        try first.waitForLog("holding the migration gate", timeout: .seconds(30))
        let second = try client.replica("r2")
        try second.waitForLog("waiting for another instance's Open WebUI migrations", timeout: .seconds(30))
        kill(try first.supervisorPID(), SIGKILL)
        _ = try first.wait()
        try second.waitForLog("holding the migration gate", timeout: .seconds(30))
        try second.waitForLog("Web server ready after", timeout: .seconds(60))
        #expect(client.time("r2", "migrate-end") != nil)
        try second.signal(SIGTERM)
        #expect(try second.wait() == 143)
    }

    @Test("a TERM while waiting ends the run with 143 before its server starts; --gate-timeout ends it with 1")
    func termAndTimeout() throws {
        let client = try Client()
        let first = try client.replica("r1", migration: 120, options: ["--startup-grace", "0"])
        try first.waitForLog("holding the migration gate", timeout: .seconds(30))
        let stopped = try client.replica("r2")
        try stopped.waitForLog("waiting for another instance's Open WebUI migrations", timeout: .seconds(30))
        try stopped.signal(SIGTERM)
        #expect(try stopped.wait(timeout: .seconds(10)) == 143)
        #expect(stopped.stderr.contains("not starting the server: stopped by TERM while waiting for another instance's Open WebUI migrations"))
        #expect(!stopped.stderr.contains("child started"))
        let bounded = try client.replica("r3", options: ["--gate-timeout", "1"])
        #expect(try bounded.wait(timeout: .seconds(20)) == 1)
        #expect(bounded.stderr.contains("another instance held the migration gate for Open WebUI's migrations for"))
        #expect(!bounded.stderr.contains("child started"))
        #expect(client.time("r2", "start") == nil && client.time("r3", "start") == nil)
        try first.signal(SIGTERM)
        #expect(try first.wait() == 143)
    }
}
