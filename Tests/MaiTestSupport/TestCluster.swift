import Foundation

/// The PostgreSQL cluster that scripts/postgres-for-tests started for this test run. Without it the PostgreSQL
/// tests fail, naming the way to run them, unless MAI_TEST_SKIP_POSTGRES=1 says to leave them out for a quick
/// local run.
public enum TestCluster {
    public static let url = ProcessInfo.processInfo.environment["MAI_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    public static let enabled = ProcessInfo.processInfo.environment["MAI_TEST_SKIP_POSTGRES"] != "1"

    public struct Missing: Error, CustomStringConvertible {
        public var description: String {
            "MAI_TEST_POSTGRES_URL is not set: run the tests through scripts/test, which starts PostgreSQL with "
                + "scripts/postgres-for-tests (or set MAI_TEST_SKIP_POSTGRES=1 to leave these tests out)"
        }
    }

    public static func serverURL() throws -> String {
        guard let url else { throw Missing() }
        return url
    }

    /// The server URL with another database name.
    public static func url(_ server: String, database: String) -> String {
        guard let slash = server.range(of: "/", options: .backwards) else { return server }
        return server[..<slash.upperBound] + database
    }

    /// A database name no other test uses.
    public static func uniqueDatabaseName(_ prefix: String) -> String {
        prefix + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
    }
}
