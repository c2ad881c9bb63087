import MaiSystem

/// Why a database step failed. Every description is one line and never holds a password or an API key:
/// values are bound as parameters, URLs are shown masked, and driver messages are redacted before use.
public enum DatabaseError: Error, Equatable, Sendable, CustomStringConvertible {
    case sqlite(SQLiteFailure)
    case postgres(PostgresFailure)
    /// DATABASE_URL or the DATABASE_* variables name something this program cannot use.
    case unsupportedLocation(String)
    /// The directory for a SQLite file could not be created.
    case directory(path: String, errno: Int32)
    /// A usage table exists in a shape the tracking code cannot use; nothing was written.
    case incompatibleTable(table: String, reason: String)
    /// An index name the schema needs is taken by an index of another table or other columns.
    case conflictingIndex(name: String, expected: String, found: String)
    /// The app's own migration (this revision) creates the usage tables and has not run yet. Transient while
    /// the server that runs it is starting (after the server started), for good otherwise (`init-db` alone).
    case appTablesPending(revision: String, transient: Bool)
    /// A migration recorded in the database differs from the one this program would apply.
    case migrationChanged(version: Int, name: String)
    /// A TERM or INT arrived while waiting; the caller stops at once.
    case interrupted(Signal)
    /// The client library of the database (libsqlite3, libpq) cannot be loaded: it is missing from the image.
    case library(String)

    /// Worth another attempt: a lock held by another process, a server that is not up yet or is full.
    public var isTransient: Bool {
        switch self {
        case .sqlite(let failure): failure.isTransient
        case .postgres(let failure): failure.isTransient
        case .appTablesPending(_, let transient): transient
        case .unsupportedLocation, .directory, .incompatibleTable, .conflictingIndex, .migrationChanged, .interrupted, .library: false
        }
    }

    public var description: String {
        switch self {
        case .sqlite(let failure): failure.description
        case .postgres(let failure): failure.description
        case .unsupportedLocation(let reason): reason
        case .directory(let path, let errno):
            "cannot create the database directory \(path): \(systemReason(errno))"
        case .incompatibleTable(let table, let reason):
            "table \(table) exists but cannot be adopted: \(reason); nothing was written"
        case .conflictingIndex(let name, let expected, let found):
            "index \(name) should be on \(expected) but is on \(found); nothing was written"
        case .appTablesPending(let revision, let transient):
            transient ? "Open WebUI's migration \(revision), which makes the usage tables, has not run yet"
                : "the app has not made its usage tables yet: Open WebUI's migration \(revision) makes them when the server starts (mai-entrypoint records the organization after it)"
        case .migrationChanged(let version, let name):
            "schema migration \(version) (\(name)) is recorded with a different checksum; the schema was changed outside this program"
        case .interrupted(let signal): "interrupted by \(signal)"
        case .library(let reason): reason
        }
    }
}

/// `strerror` text in lower case, as it reads inside a sentence.
func systemReason(_ errno: Int32) -> String {
    SystemError("", errno: errno).reason.lowercased()
}
