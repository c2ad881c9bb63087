import Logging

/// A database this program can open: a SQLite file or a PostgreSQL target. Which one Open WebUI uses is worked
/// out from its environment in MaiOpenWebUI (`DatabaseLocation.resolve`).
public enum DatabaseLocation: Equatable, Sendable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresTarget)

    /// `database=URL`, and `database_schema=NAME` when the tables are in DATABASE_SCHEMA.
    public var logMetadata: Logger.Metadata {
        guard case .postgres(let target) = self, let schema = target.schema else { return ["database": "\(self)"] }
        return ["database": "\(self)", "database_schema": "\(schema)"]
    }

    /// The URL form, as Open WebUI's DATABASE_URL would name the same database (password masked).
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:///\(path)"
        case .postgres(let target): target.display
        }
    }
}
