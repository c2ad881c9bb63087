import MaiRedaction
import MaiSQL

/// Where the usage tables live: the database Open WebUI itself uses (`OpenWebUIDatabase`), so both always use
/// the same one.
extension DatabaseLocation {
    /// The image's data folder (env.py's BACKEND_DIR/data); the local quick start sets DATA_DIR to its own
    /// `data/` folder.
    public static let defaultDataDirectory = OpenWebUIDatabase.backendDirectory + "/data"

    /// Open WebUI's DATABASE_URL and DATABASE_SCHEMA for this environment, as a location this program can open.
    /// Errors never repeat the URL, which may hold a password. `dataDirectory`: DATA_DIR, resolved, if known.
    public static func resolve(_ environment: [String: String], dataDirectory: String? = nil) throws(DatabaseError) -> DatabaseLocation {
        try locate(OpenWebUIDatabase.resolve(environment, dataDirectory: dataDirectory))
    }

    /// SQLAlchemy's forms, which Open WebUI hands the URL to: `sqlite[+driver]:///relative`,
    /// `sqlite[+driver]:////absolute`, `postgresql[+driver]://…`. The dialect name is case-sensitive there.
    public static func locate(_ database: OpenWebUIDatabase) throws(DatabaseError) -> DatabaseLocation {
        let url = database.url
        guard !url.isEmpty else {
            throw .unsupportedLocation("DATABASE_URL is set but empty, and Open WebUI cannot start with an empty URL (unset it to use $DATA_DIR/webui.db)")
        }
        guard let separator = url.firstScalarRange(of: "://") else {
            throw .unsupportedLocation("DATABASE_URL is not a URL (use sqlite:///PATH or postgresql://…)")
        }
        let (base, driver) = scheme(String(url.unicodeScalars[..<separator.lowerBound]))
        let rest = Substring(url.unicodeScalars[separator.upperBound...])
        switch base {
        case "postgresql": return .postgres(postgresTarget(database, uri: "postgresql://" + rest))
        case "postgres":
            // env.py rewrites only the exact text `postgres://`; SQLAlchemy has no dialect named `postgres`.
            throw .unsupportedLocation("DATABASE_URL scheme postgres+\(driver ?? "") is not one SQLAlchemy knows, so Open WebUI cannot use it either (use postgresql+\(driver ?? ""))")
        case "sqlite":
            if driver == "sqlcipher" { throw encryptedSQLite }
            return .sqlite(path: try sqlitePath(rest))
        default:
            throw .unsupportedLocation("DATABASE_URL scheme \(base) is not supported (use sqlite or postgresql)")
        }
    }

    /// Built from the parts, libpq gets them as keywords: Open WebUI's SQLAlchemy reads the user and password of
    /// the URL it built percent-decoded, and no character of the password can then end up in the host name.
    /// Host, port and database are read from that URL as SQLAlchemy reads them (`…@HOST:PORT/NAME`), so that a
    /// typo fails here as it fails there: `DATABASE_HOST=db:5432` is port `5432:5432`, `::1` no host and port
    /// `:1:5432`, and `[::1]` the host `::1`.
    private static func postgresTarget(_ database: OpenWebUIDatabase, uri: String) -> PostgresTarget {
        guard let parts = database.parts else {
            return PostgresTarget(uri: uri, shownAs: database.maskedURL, schema: database.schema)
        }
        let address = SQLAlchemyURL(Substring("@\(parts.host):\(parts.port)/\(parts.name)"))
        return PostgresTarget(host: address.host ?? "", port: address.port ?? "", user: percentDecoded(Substring(parts.user)),
                              password: parts.password.isEmpty ? nil : percentDecoded(Substring(parts.password)),
                              database: address.database ?? "", shownAs: database.maskedURL, schema: database.schema)
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
        let parts = text.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        return (parts.first ?? "", parts.count > 1 ? parts[1] : nil)
    }

}
