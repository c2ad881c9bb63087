import Foundation
import MaiTestSupport
import Testing

/// `status` and `init-db` use the database Open WebUI would use, and `status` says which, first.
@Suite("Database: which database, as Open WebUI decides")
struct DatabaseLocationCommandTests {
    @Test("status names the database first (DATA_DIR made absolute) and the schema, even when it cannot read it")
    func statusNamesTheDatabase() throws {
        let directory = try makeTemporaryDirectory().resolvingSymlinksInPath().path
        let environment = trackingEnvironment.merging(["DATA_DIR": "data", "DATABASE_SCHEMA": "tenant a"]) { $1 }
        let status = try runProgram(["status"], environment: environment, workingDirectory: directory)
        #expect(status.process.terminationStatus == 1)
        let lines = status.stdout.split(separator: "\n").map(String.init)
        #expect(lines == ["database: sqlite:///\(directory)/data/webui.db", "database_schema: tenant a",
                          "scale-out: single instance (one worker, not replicated): nothing to share"])
        #expect(!FileManager.default.fileExists(atPath: directory + "/data/webui.db"))
    }

    @Test("the DATABASE_* parts win over DATABASE_URL: init-db and status use the database they name",
          .enabled(if: ClusterForTests.enabled, "MAI_TEST_SKIP_POSTGRES=1"))
    func partsWinOverURL() throws {
        let url = try ClusterForTests.freshDatabase()
        let components = try #require(URLComponents(string: url))
        let password = try #require(components.password)
        let parts = [
            "DATABASE_TYPE": "postgresql", "DATABASE_USER": try #require(components.user), "DATABASE_PASSWORD": password,
            "DATABASE_HOST": try #require(components.host), "DATABASE_PORT": String(try #require(components.port)),
            "DATABASE_NAME": String(components.path.dropFirst()),
        ]
        // DATABASE_URL names a database that does not exist: using it would fail.
        let environment = tracking(TestCluster.url(url, database: "not_this_one"), parts)
        let initialize = try runProgram(["init-db"], environment: environment)
        #expect(initialize.process.terminationStatus == 0, "\(initialize.stderr)")
        let status = try runProgram(["status"], environment: environment)
        #expect(status.process.terminationStatus == 0, "\(status.stderr)")
        let lines = status.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "database: postgresql://\(parts["DATABASE_USER"] ?? ""):***@\(parts["DATABASE_HOST"] ?? ""):\(parts["DATABASE_PORT"] ?? "")/\(parts["DATABASE_NAME"] ?? "")")
        #expect(lines.contains { $0.hasPrefix("organization: id=org-acme name=Acme ") })
        #expect(!(status.stdout + status.stderr + initialize.stderr).contains(password))
    }

    @Test("with DATABASE_SCHEMA, init-db's line names the schema, and status reads that schema's tables",
          .enabled(if: ClusterForTests.enabled, "MAI_TEST_SKIP_POSTGRES=1"))
    func schemaInLogAndStatus() throws {
        let url = try ClusterForTests.freshDatabase()
        try ClusterForTests.psql(url, "CREATE SCHEMA tenant_a")
        let environment = tracking(url, ["DATABASE_SCHEMA": "tenant_a"])
        let initialize = try runProgram(["init-db"], environment: environment)
        #expect(initialize.process.terminationStatus == 0, "\(initialize.stderr)")
        #expect(initialize.stderr.contains("Usage tracking initialized for Acme (organization created; schema v3) database=postgresql://"))
        #expect(initialize.stderr.contains(" database_schema=tenant_a"))
        #expect(try ClusterForTests.psql(url, "SELECT name FROM tenant_a.client_organizations") == ["Acme"])
        let status = try runProgram(["status"], environment: environment)
        let lines = status.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 6, "\(status.stdout)\(status.stderr)")
        #expect(lines.dropFirst().first == "database_schema: tenant_a")
        #expect(lines.contains { $0.hasPrefix("organization: id=org-acme name=Acme ") })
    }
}

@Suite("Database: status in JSON")
struct DatabaseStatusJSONTests {
    @Test("with --log-format json, status prints one JSON object per line: the database and schema unquoted")
    func jsonLines() throws {
        let directory = try makeTemporaryDirectory().resolvingSymlinksInPath().path
        let environment = trackingEnvironment.merging(["DATABASE_URL": "sqlite:////\(directory)/a \"b\".db",
                                                       "DATABASE_SCHEMA": " padded "]) { $1 }
        let status = try runProgram(["status", "--log-format", "json"], environment: environment, workingDirectory: directory)
        #expect(status.process.terminationStatus == 1)
        let objects = try status.stdout.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]
        }
        #expect(objects == [["database": "sqlite:////\(directory)/a \"b\".db"], ["database_schema": " padded "],
                            ["scale-out": "single instance (one worker, not replicated): nothing to share"]])
    }
}
