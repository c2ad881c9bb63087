import Foundation
import MaiOpenWebUI
import MaiSQL
import MaiTestSupport
import MaiUsageTracking
import Testing

/// The test cluster (MaiTestSupport's TestCluster), reached through this program's own PostgreSQL wrapper.
enum TestPostgres {
    static var enabled: Bool { TestCluster.enabled }

    static func serverURL() throws -> String { try TestCluster.serverURL() }

    /// A new, empty database of its own for one test; returns its URL.
    static func freshDatabase() throws -> String {
        let server = try serverURL()
        let name = TestCluster.uniqueDatabaseName("mai_test_")
        let admin = try PostgresConnection(target: PostgresTarget(uri: server), timeout: .seconds(10))
        try admin.execute("CREATE DATABASE \(name)")
        return url(server, database: String(name))
    }

    static func url(_ server: String, database: String) -> String { TestCluster.url(server, database: database) }

    static func connect(_ url: String) throws -> PostgresConnection {
        try PostgresConnection(target: PostgresTarget(uri: url), timeout: .seconds(10))
    }
}
