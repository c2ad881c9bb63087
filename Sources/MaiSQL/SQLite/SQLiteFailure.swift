import CSQLite
import Glibc

/// A SQLite call that failed: the extended result code, the errno behind it and SQLite's own message.
public struct SQLiteFailure: Equatable, Sendable, CustomStringConvertible {
    public let path: String
    /// The extended result code (`SQLITE_READONLY_DIRECTORY`, …); its low byte is the primary code.
    public let code: Int32
    public let systemErrno: Int32
    public let message: String

    public init(path: String, code: Int32, systemErrno: Int32 = 0, message: String) {
        self.path = path
        self.code = code
        self.systemErrno = systemErrno
        self.message = message
    }

    public var primaryCode: Int32 { code & 0xff }

    /// Another process holds the lock: waiting helps. Everything else will fail the same way next time.
    public var isTransient: Bool { [SQLITE_BUSY, SQLITE_LOCKED, SQLITE_PROTOCOL].contains(primaryCode) }

    /// SQLITE_CANTOPEN_SYMLINK (a C macro Swift does not import): SQLite's refusal of a link on the way to the
    /// file, and this program's of a file swapped in after its check. Its message is the whole line.
    public static let refusedLink = SQLITE_CANTOPEN | (6 << 8)
    public var isRefusedLink: Bool { code == Self.refusedLink }

    public var description: String { isRefusedLink ? message : "SQLite database \(path): \(explanation) (\(codeName))" }

    private var explanation: String {
        switch primaryCode {
        case SQLITE_NOTADB: "not a database file (corrupt or encrypted); it was left untouched"
        case SQLITE_CORRUPT: "the database file is corrupt; it was left untouched"
        case SQLITE_READONLY where systemErrno != 0:
            "the database file is read-only (\(systemReason(systemErrno))); nothing was written"
        case SQLITE_READONLY: "the database is read-only (file, directory or file system); nothing was written"
        case SQLITE_CANTOPEN: cannotOpenExplanation(path) ?? "cannot open the database file"
            + (systemErrno != 0 ? ": \(systemReason(systemErrno))" : "")
        case SQLITE_PERM: "permission denied"
        case SQLITE_BUSY, SQLITE_LOCKED: "the database is locked by another connection"
        case SQLITE_FULL: "the disk is full"
        default: message
        }
    }

    private var codeName: String {
        let names: [Int32: String] = [
            SQLITE_ERROR: "SQLITE_ERROR", SQLITE_PERM: "SQLITE_PERM", SQLITE_BUSY: "SQLITE_BUSY",
            SQLITE_LOCKED: "SQLITE_LOCKED", SQLITE_READONLY: "SQLITE_READONLY", SQLITE_IOERR: "SQLITE_IOERR",
            SQLITE_CORRUPT: "SQLITE_CORRUPT", SQLITE_FULL: "SQLITE_FULL", SQLITE_CANTOPEN: "SQLITE_CANTOPEN",
            SQLITE_PROTOCOL: "SQLITE_PROTOCOL", SQLITE_CONSTRAINT: "SQLITE_CONSTRAINT", SQLITE_NOTADB: "SQLITE_NOTADB",
        ]
        let name = names[primaryCode] ?? "SQLite code \(primaryCode)"
        return code == primaryCode ? name : "\(name), extended code \(code)"
    }
}

/// SQLITE_CANTOPEN's errno is often that of a later probe (ENOENT), not of the refusal: ask the file system
/// which of the file, or the directory where SQLite creates the file and its journal, cannot be written.
private func cannotOpenExplanation(_ path: String) -> String? {
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    if access(path, F_OK) != 0 {
        guard access(directory, W_OK | X_OK) != 0 else { return nil }
        return "cannot create the database file in \(directory): \(systemReason(errno))"
    }
    if access(path, R_OK | W_OK) != 0 { return "cannot open the database file: \(systemReason(errno))" }
    guard access(directory, W_OK | X_OK) != 0 else { return nil }
    return "cannot create the journal file beside the database in \(directory): \(systemReason(errno))"
}
