import Foundation
import MaiDatabase
import Testing

/// The test cluster that scripts/postgres-for-tests started. Without it the PostgreSQL tests fail, naming
/// the way to run them, unless MAI_TEST_SKIP_POSTGRES=1 says to leave them out for a quick local run.
enum TestPostgres {
    static let url = ProcessInfo.processInfo.environment["MAI_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let skipped = ProcessInfo.processInfo.environment["MAI_TEST_SKIP_POSTGRES"] == "1"
    static var enabled: Bool { !skipped }

    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "MAI_TEST_POSTGRES_URL is not set: run the tests through scripts/test, which starts PostgreSQL with "
                + "scripts/postgres-for-tests (or set MAI_TEST_SKIP_POSTGRES=1 to leave these tests out)"
        }
    }

    static func serverURL() throws -> String {
        guard let url else { throw Missing() }
        return url
    }

    /// A new, empty database of its own for one test; returns its URL.
    static func freshDatabase() throws -> String {
        let server = try serverURL()
        let name = "mai_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let admin = try PostgresConnection(target: PostgresTarget(uri: server), timeout: .seconds(10))
        try admin.execute("CREATE DATABASE \(name)")
        return url(server, database: String(name))
    }

    /// The server URL with another database name.
    static func url(_ server: String, database: String) -> String {
        guard let slash = server.range(of: "/", options: .backwards) else { return server }
        return server[..<slash.upperBound] + database
    }

    static func connect(_ url: String) throws -> PostgresConnection {
        try PostgresConnection(target: PostgresTarget(uri: url), timeout: .seconds(10))
    }
}
