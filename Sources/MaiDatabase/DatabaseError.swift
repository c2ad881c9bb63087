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
    /// A migration recorded in the database differs from the one this program would apply.
    case migrationChanged(version: Int, name: String)
    /// A TERM or INT arrived while waiting; the caller stops at once.
    case interrupted(Signal)

    /// Worth another attempt: a lock held by another process, a server that is not up yet or is full.
    public var isTransient: Bool {
        switch self {
        case .sqlite(let failure): failure.isTransient
        case .postgres(let failure): failure.isTransient
        case .unsupportedLocation, .directory, .incompatibleTable, .migrationChanged, .interrupted: false
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
        case .migrationChanged(let version, let name):
            "schema migration \(version) (\(name)) is recorded with a different checksum; the schema was changed outside this program"
        case .interrupted(let signal): "interrupted by \(signal)"
        }
    }
}

/// `strerror` text in lower case, as it reads inside a sentence.
func systemReason(_ errno: Int32) -> String {
    SystemError("", errno: errno).reason.lowercased()
}
