/// Where the usage tables live, decided the way Open WebUI decides where its own database is, so both
/// always use the same one.
public enum DatabaseLocation: Equatable, Sendable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresTarget)

    /// The image's data folder; the local quick start sets DATA_DIR to its own `data/` folder.
    public static let defaultDataDirectory = "/app/backend/data"

    /// DATABASE_URL first; else the DATABASE_* variables when Open WebUI would use them; else
    /// `$DATA_DIR/webui.db`. Errors never repeat the URL, which may hold a password.
    public static func resolve(_ environment: [String: String]) throws(DatabaseError) -> DatabaseLocation {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let url = value("DATABASE_URL") { return try fromURL(url) }
        if let type = value("DATABASE_TYPE"), let user = value("DATABASE_USER"), let host = value("DATABASE_HOST"),
           let port = value("DATABASE_PORT"), let name = value("DATABASE_NAME") {
            guard isPostgres(scheme(type).base) else {
                throw .unsupportedLocation("DATABASE_TYPE=\(type) with DATABASE_HOST is not supported (use postgresql)")
            }
            return .postgres(PostgresTarget(host: host, port: port, user: user, password: value("DATABASE_PASSWORD"),
                                            database: name))
        }
        if let type = value("DATABASE_TYPE"), scheme(type).driver == "sqlcipher" { throw encryptedSQLite }
        let directory = value("DATA_DIR") ?? defaultDataDirectory
        return .sqlite(path: (directory.hasSuffix("/") ? String(directory.dropLast()) : directory) + "/webui.db")
    }

    /// SQLAlchemy's forms: `sqlite:///relative`, `sqlite:////absolute`, `postgresql[+driver]://…`.
    static func fromURL(_ url: String) throws(DatabaseError) -> DatabaseLocation {
        guard let separator = url.firstRange(of: "://") else {
            throw .unsupportedLocation("DATABASE_URL is not a URL (use sqlite:///PATH or postgresql://…)")
        }
        let (base, driver) = scheme(String(url[..<separator.lowerBound]))
        let rest = url[separator.upperBound...]
        if isPostgres(base) { return .postgres(PostgresTarget(uri: "postgresql://" + rest)) }
        guard base == "sqlite" else {
            throw .unsupportedLocation("DATABASE_URL scheme \(base) is not supported (use sqlite or postgresql)")
        }
        if driver == "sqlcipher" { throw encryptedSQLite }
        return .sqlite(path: try sqlitePath(rest))
    }

    private static func sqlitePath(_ rest: Substring) throws(DatabaseError) -> String {
        let withoutQuery = rest.prefix { $0 != "?" }
        guard withoutQuery.hasPrefix("/") else {
            throw .unsupportedLocation("DATABASE_URL for SQLite has no path (use sqlite:///relative/path or sqlite:////absolute/path)")
        }
        let path = String(withoutQuery.dropFirst())
        guard !path.isEmpty, path != ":memory:" else {
            throw .unsupportedLocation("DATABASE_URL names an in-memory SQLite database, which cannot keep usage data")
        }
        return path
    }

    private static let encryptedSQLite = DatabaseError.unsupportedLocation(
        "SQLCipher-encrypted SQLite (sqlite+sqlcipher) is not supported for usage tracking")

    private static func scheme(_ text: String) -> (base: String, driver: String?) {
        let parts = text.lowercased().split(separator: "+", maxSplits: 1).map(String.init)
        return (parts.first ?? "", parts.count > 1 ? parts[1] : nil)
    }

    private static func isPostgres(_ base: String) -> Bool { base == "postgresql" || base == "postgres" }

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let target): target.display
        }
    }
}
