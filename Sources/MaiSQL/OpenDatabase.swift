import Glibc
import MaiSystem

public enum AccessMode: Sendable {
    /// Initialization: the SQLite file and its directory are created when missing.
    case readWrite
    /// `status`: nothing is created or written.
    case readOnly
}

/// Opens the database a location names. `timeout` bounds each wait: SQLite's lock, libpq's connection and
/// PostgreSQL's lock. A SQLite file is read once before anything else, so a file that is not a database is
/// reported before any write is attempted.
public func openDatabase(_ location: DatabaseLocation, mode: AccessMode, timeout: Duration,
                         stop: StopRequests) throws(DatabaseError) -> any SQLConnection {
    switch location {
    case .sqlite(let path):
        if mode == .readWrite { try createParentDirectory(of: path) }
        let connection = try SQLiteConnection(path: path, mode: mode == .readOnly ? .readOnly : .readWriteCreate,
                                              busyTimeout: timeout, stop: stop)
        _ = try connection.query("SELECT COUNT(*) FROM sqlite_master")
        return connection
    case .postgres(let target):
        return try PostgresConnection(target: target, timeout: timeout, readOnly: mode == .readOnly, stop: stop)
    }
}

/// `mkdir -p` for the SQLite file's folder; an existing folder is left as it is.
public func createParentDirectory(of path: String) throws(DatabaseError) {
    guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
    let directory = String(path[..<slash])
    var prefix = directory.hasPrefix("/") ? "" : "."
    for component in directory.split(separator: "/") {
        prefix += "/" + component
        if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw .directory(path: directory, errno: errno) }
    }
}
