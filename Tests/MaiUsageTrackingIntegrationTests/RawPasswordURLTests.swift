import Foundation
import MaiOpenWebUI
@testable import MaiSQL
import MaiTestSupport
@testable import MaiUsageTracking
import Testing

/// Against the real server: a base64-style password with `/` and `+`, raw in DATABASE_URL, as Open WebUI takes it.
@Suite("A password libpq's URI parser misreads", .enabled(if: TestPostgres.enabled, "MAI_TEST_SKIP_POSTGRES=1"))
struct RawPasswordURLTests {
    @Test func rawSlashInPasswordConnects() throws {
        let url = try TestPostgres.freshDatabase()
        let admin = try TestPostgres.connect(url)
        let role = TestCluster.uniqueDatabaseName("mai_raw_")
        let password = "Zm9v/YmFy+cXV4"
        try admin.execute("CREATE ROLE \(role) LOGIN PASSWORD '\(password)'")
        let database = String(url[url.index(after: try #require(url.range(of: "/", options: .backwards)).lowerBound)...])
        try admin.execute("GRANT ALL ON DATABASE \(database) TO \(role); GRANT ALL ON SCHEMA public TO \(role)")
        let hostPort = try #require(url.firstMatch(of: /@([^\/]+)\//)?.1)
        let recorder = LogRecorder()
        let outcome = initialize(["DATABASE_URL": "postgresql://\(role):\(password)@\(hostPort)/\(database)"], recorder: recorder)
        #expect(outcome.report?.change == .created, "\(recorder.messages(at: .error)) \(recorder.messages(at: .warning))")
    }
}
