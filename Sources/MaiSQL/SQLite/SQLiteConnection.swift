import CSQLite
import Glibc
import MaiSystem

/// A connection to one SQLite file through the system's libsqlite3 (`LibSQLite`).
public final class SQLiteConnection: SQLConnection {
    public enum Mode: Sendable {
        /// Creates the file when it is missing; refuses a file it could only read.
        case readWriteCreate
        /// Never creates or writes anything (`status`).
        case readOnly
        /// An existing file only: a backup's source, a restore's target.
        case readWriteExisting
    }

    public let dialect = SQLDialect.sqlite
    public let path: String
    let handle: OpaquePointer
    let sqlite: LibSQLite
    let busyWait: SQLiteBusyWait

    /// `busyTimeout` bounds each wait for another process's lock; `stop` can cut it short. `folder`, when given,
    /// holds the file (`path` is then `folder.path(of: name)`): the file is checked (and made) from that
    /// descriptor, not from its folder's path looked up again, which a link could have replaced meanwhile.
    public init(path: String, mode: Mode, busyTimeout: Duration, stop: StopRequests, folder: Folder? = nil) throws(DatabaseError) {
        let sqlite: LibSQLite
        switch LibSQLite.shared {
        case .success(let loaded): sqlite = loaded
        case .failure(let error): throw .library("SQLite database \(path): \(error.description)")
        }
        let handle = try Self.open(path, mode, folder: folder, sqlite)
        let busyWait = SQLiteBusyWait(timeout: busyTimeout, stop: stop)
        busyWait.install(on: handle, sqlite)
        if mode != .readOnly && sqlite.dbReadonly(handle, "main") == 1 {
            _ = sqlite.close(handle)
            let reason = access(path, W_OK) == 0 ? 0 : errno
            throw .sqlite(SQLiteFailure(path: path, code: SQLITE_READONLY, systemErrno: reason, message: "read-only file"))
        }
        self.path = path
        self.handle = handle
        self.sqlite = sqlite
        self.busyWait = busyWait
    }

    deinit { _ = sqlite.close(handle) }

    private static func open(_ path: String, _ mode: Mode, folder: Folder?, _ sqlite: LibSQLite) throws(DatabaseError) -> OpaquePointer {
        var pointer: OpaquePointer?
        let checked = try checkedFile(path, create: mode == .readWriteCreate, folder: folder)
        let access = switch mode {
        case .readOnly: SQLITE_OPEN_READONLY
        case .readWriteExisting: SQLITE_OPEN_READWRITE
        // Made by `checkedFile` when it was missing: SQLite itself creates no database file.
        case .readWriteCreate: checked == nil ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READWRITE
        }
        testStopPoint("sqlite-open:" + splitPath(path).name)
        let before = openDescriptors()
        // NOMUTEX: one thread uses the connection. URI off: a path is a path, even with `?` or `file:`.
        // NOFOLLOW (SQLite 3.31+): a database file that is a symbolic link, or lies under one, is not opened
        // (SQLITE_CANTOPEN_SYMLINK); SQLite opens the file and its journals with O_NOFOLLOW besides.
        let result = sqlite.open(path, &pointer, access | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, nil)
        guard let pointer else { throw .sqlite(SQLiteFailure(path: path, code: SQLITE_NOMEM, message: "out of memory")) }
        guard result == SQLITE_OK else {
            let code = sqlite.extendedErrcode(pointer)
            let message = code == SQLiteFailure.refusedLink
                ? "\(path) is a symbolic link or lies under one (not followed)" : sqlite.errmsg(pointer).map { String(cString: $0) } ?? ""
            let failure = SQLiteFailure(path: path, code: code, systemErrno: sqlite.systemErrno(pointer), message: message)
            _ = sqlite.close(pointer)
            throw .sqlite(failure)
        }
        guard let checked, opened(checked, path: path, before: before, after: openDescriptors()) else {
            _ = sqlite.close(pointer)
            throw .sqlite(SQLiteFailure(path: path, code: SQLiteFailure.refusedLink,
                                        message: "\(path) was replaced between its check and SQLite's open (another file took its name); nothing was read or written through it"))
        }
        _ = sqlite.extendedResultCodes(pointer, 1)
        return pointer
    }

    /// The file SQLite is about to open by name, looked at first from its folder's descriptor without following a
    /// link (the folder may be the server's user's, and this program root); made there first (O_EXCL, mode 0644
    /// as SQLite makes it) when `create` and missing. nil when it cannot be looked at: SQLite then says why
    /// it cannot open it, and a file it does open after all is refused.
    private static func checkedFile(_ path: String, create: Bool, folder given: Folder?) throws(DatabaseError) -> FileIdentity? {
        let (directory, name) = splitPath(path)
        do throws(SystemError) {
            let folder: Folder
            if let given { folder = given } else { folder = try Folder(directory) }
            if create {
                do throws(SystemError) {
                    close(try folder.open(name, O_RDWR | O_CREAT | O_EXCL, mode: 0o644))
                } catch where error.errno == EEXIST {}
            }
            return try folder.regularFile(name)?.identity
        } catch where error.isLink {
            throw .sqlite(SQLiteFailure(path: path, code: SQLiteFailure.refusedLink, message: "\(path) is a symbolic link (not followed)"))
        } catch {
            return nil
        }
    }

    /// Whether SQLite holds the checked file. Its open is by name: some descriptor of this process must now be
    /// on the checked file (the program itself keeps none on it: `checkedFile` closes what it makes). Usually it
    /// is the one new since `before`; SQLite may instead reuse one it kept for the same file (an earlier
    /// connection), and in a test process other threads open and close descriptors meanwhile, so every
    /// descriptor is looked at. A swapped file is refused: SQLite's new descriptor is on another file, and none is
    /// on the checked one. Without /proc, or with nothing new and nothing on it, the name is looked at again.
    private static func opened(_ checked: FileIdentity, path: String, before: Set<Int32>?, after: Set<Int32>?) -> Bool {
        guard let before, let after else { return FileIdentity.of(path) == checked }
        if after.contains(where: { FileIdentity.of(descriptor: $0) == checked }) { return true }
        return after.subtracting(before).isEmpty && FileIdentity.of(path) == checked
    }

    public func execute(_ sql: String) throws(DatabaseError) {
        let result = sqlite.exec(handle, sql, nil, nil, nil)
        if result != SQLITE_OK { throw failure(result) }
    }

    public func query(_ sql: String, _ parameters: [SQLValue]) throws(DatabaseError) -> [[SQLValue]] {
        let statement = try SQLiteStatement(sql, on: self)
        try statement.bind(parameters)
        var rows: [[SQLValue]] = []
        while try statement.step() { rows.append(statement.row) }
        return rows
    }

    /// IMMEDIATE takes the write lock at once, so two initializers never both read and then both write.
    public func beginLocked() throws(DatabaseError) { try execute("BEGIN IMMEDIATE") }

    public func rollbackQuietly() {
        if sqlite.getAutocommit(handle) == 0 { _ = sqlite.exec(handle, "ROLLBACK", nil, nil, nil) }
    }

    public func columnNames(of table: String) throws(DatabaseError) -> [String] {
        try query("SELECT name FROM pragma_table_info($1)", [.text(table)]).compactMap { $0.first?.text }
    }

    public func tableShape(of table: String) throws(DatabaseError) -> TableShape? {
        let kind = try query("SELECT type FROM sqlite_master WHERE name = $1 AND type IN ('table', 'view')", [.text(table)])
        guard let type = kind.first?.first?.text else { return nil }
        let rows = try query("SELECT name, lower(type), \"notnull\", dflt_value IS NOT NULL, pk FROM pragma_table_info($1)", [.text(table)])
        let keyCount = rows.filter { ($0[4].integer ?? 0) > 0 }.count
        let columns = rows.map { row in
            let type = row[1].text ?? ""
            // INTEGER PRIMARY KEY alone is the rowid: it numbers itself.
            let rowid = (row[4].integer ?? 0) > 0 && keyCount == 1 && type == "integer"
            return TableShape.Column(name: row[0].text ?? "", type: type, notNull: row[2].integer == 1,
                                     fillsItself: row[3].integer == 1 || rowid, primaryKey: (row[4].integer ?? 0) > 0)
        }
        return TableShape(kind: type == "view" ? .view : .table, columns: columns)
    }

    /// The error for a failed call. A lock wait that a stop request cut short is reported as that request.
    func failure(_ result: Int32) -> DatabaseError {
        if result & 0xff == SQLITE_BUSY, let signal = busyWait.stop.received { return .interrupted(signal) }
        return .sqlite(SQLiteFailure(path: path, code: sqlite.extendedErrcode(handle), systemErrno: sqlite.systemErrno(handle),
                                     message: sqlite.errmsg(handle).map { String(cString: $0) } ?? ""))
    }
}

/// The folder (`.` for a bare name, `/` at the root) and the file's name.
public func splitPath(_ path: String) -> (directory: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let directory = slash == path.startIndex ? "/" : String(path[..<slash])
    return (directory, String(path[path.index(after: slash)...]))
}
