import Glibc
import MaiSQL
import MaiSystem

/// One backup in the folder.
public struct BackupFile: Equatable, Sendable {
    public let name: BackupName
    public let path: String
    public let bytes: Int64
}

/// What a backup took.
public struct MadeBackup: Equatable, Sendable {
    public let file: BackupFile
    public let duration: Duration
    /// Backups deleted by the retention afterwards.
    public let deleted: [BackupName]
    /// Symbolic links named like a backup in the folder (paths): neither followed, counted nor deleted.
    public let links: [String]
}

/// Why no backup was made. The database itself is never touched by a failed backup.
public enum BackupError: Error, Equatable, Sendable, CustomStringConvertible {
    case notEnoughSpace(directory: String, needed: Int64, available: Int64)
    case system(SystemError)
    case database(DatabaseError)
    /// The copy was made but `PRAGMA integrity_check` found it unsound; it was deleted.
    case verificationFailed(path: String, findings: [String])
    /// A backup to restore is unsound: nothing was changed.
    case unsoundBackup(path: String, findings: [String])
    /// A symbolic link where a folder or file of ours should be: the server's user can plant one in DATA_DIR, and
    /// root would then write (or delete by retention) wherever it points.
    case link(path: String)
    /// A name a restore gives a file (the copy kept aside) is taken: nothing was changed.
    case nameTaken(path: String)

    public var description: String {
        switch self {
        case .notEnoughSpace(let directory, let needed, let available):
            "not enough free space in \(directory): the copy needs about \(byteCount(needed)), \(byteCount(available)) are free"
        case .system(let error): error.description
        case .database(let error): error.description
        case .verificationFailed(let path, let findings):
            "the copy \(path) failed its integrity check (\(findings.prefix(3).joined(separator: "; "))); it was deleted"
        case .unsoundBackup(let path, let findings):
            "\(path) failed its integrity check (\(findings.prefix(3).joined(separator: "; "))); nothing was changed"
        case .link(let path):
            "\(path) is a symbolic link (not followed): nothing is written through it; move it away"
        case .nameTaken(let path):
            "\(path) exists and a restore never replaces it: nothing was changed; move it away"
        }
    }
}

/// `DATA_DIR/backups`: copies of `webui.db` made before Open WebUI's migrations, and the retention that keeps
/// the newest of them. Only names `BackupName` accepts are listed or deleted: anything an operator puts in the
/// folder stays. The folder and what is in it are reached from descriptors (`Folder`), never through a link:
/// the server's user owns DATA_DIR, and this program is root.
public struct BackupStore: Sendable {
    public let dataDirectory: String
    public let directory: String

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory.hasSuffix("/") ? String(dataDirectory.dropLast()) : dataDirectory
        directory = self.dataDirectory + "/backups"
    }

    /// The backups folder, made (0700) when `create` and missing; nil when it is missing. A link in its place
    /// (even to a folder) is refused: root would write and delete by retention wherever it points.
    public func folder(create: Bool = false) throws(BackupError) -> Folder? {
        do {
            return try Folder(dataDirectory.isEmpty ? "/" : dataDirectory).folder("backups", create: create ? 0o700 : nil)
        } catch where error.errno == ENOENT && !create {
            return nil
        } catch where error.isLink {
            throw .link(path: directory)
        } catch {
            throw .system(error)
        }
    }

    /// Newest first; an empty list when the folder does not exist. A folder that is there but cannot be read
    /// (not a folder, no permission) is an error: "no backups" would be untrue.
    public func list() throws(BackupError) -> [BackupFile] {
        try contents().backups
    }

    /// The backups, newest first, and the symbolic links named like one (their paths, newest first): a link is
    /// never followed, counted by the retention or deleted, and whoever lists the folder says so.
    public func contents() throws(BackupError) -> (backups: [BackupFile], links: [String]) {
        guard let folder = try folder() else { return ([], []) }
        return try contents(of: folder)
    }

    func contents(of folder: Folder) throws(BackupError) -> (backups: [BackupFile], links: [String]) {
        let names: [String]
        do { names = try folder.names() } catch { throw .system(error) }
        var files: [BackupFile] = [], links: [BackupName] = []
        for fileName in names {
            guard let name = BackupName(fileName: fileName) else { continue }
            do {
                guard let file = try folder.regularFile(fileName) else { continue }
                files.append(BackupFile(name: name, path: folder.path(of: fileName), bytes: file.bytes))
            } catch where error.isLink {
                links.append(name)
            } catch {
                continue  // a folder or a FIFO named like a backup: not one, and not ours to delete
            }
        }
        return (files.sorted { $0.name > $1.name }, links.sorted(by: >).map { folder.path(of: $0.fileName) })
    }

    /// Copies the database at `databasePath` (at `revision`) into the folder, verifies the copy and applies the
    /// retention. The copy is written under a hidden temporary name and renamed when verified, so a name of the
    /// pattern is always a complete, checked copy.
    public func backUp(databasePath: String, revision: String, keep: Int, busyTimeout: Duration,
                       stop: StopRequests) throws(BackupError) -> MadeBackup {
        let started = MonotonicInstant.now()
        guard let folder = try folder(create: true) else { throw .system(SystemError("mkdir(\(directory))", errno: ENOENT)) }
        try checkSpace(in: folder, toCopy: databasePath)
        let name = BackupName(time: .now(), revision: revision)
        let temporary = "." + name.fileName + ".partial"
        do throws(BackupError) {
            removeDatabaseFiles(temporary, in: folder)
            try copyDatabase(from: databasePath, to: folder.path(of: temporary), in: folder, busyTimeout: busyTimeout, stop: stop)
            try syncFile(temporary, in: folder)
            do { try folder.rename(temporary, to: name.fileName, replacing: false) } catch { throw BackupError.system(error) }
        } catch {
            removeDatabaseFiles(temporary, in: folder)
            throw error
        }
        folder.sync()
        let bytes = (try? folder.regularFile(name.fileName))?.bytes ?? 0
        let (deleted, links) = prune(folder, keep: keep)
        return MadeBackup(file: BackupFile(name: name, path: folder.path(of: name.fileName), bytes: bytes),
                          duration: started.duration(to: .now()), deleted: deleted, links: links)
    }

    /// Deletes the backups beyond the newest `keep` (each by its name in the folder's descriptor: a link put
    /// there meanwhile goes itself, never what it points to); returns them, and the links named like one.
    func prune(_ folder: Folder, keep: Int) -> (deleted: [BackupName], links: [String]) {
        guard let (backups, links) = try? contents(of: folder) else { return ([], []) }
        let doomed = BackupName.beyondRetention(backups.map(\.name), keep: keep)
        return (doomed.filter { folder.remove($0.fileName) }, links)
    }
}

/// Deletes a copy this program was making (never the database itself), with the journals SQLite made beside
/// it: the entries themselves, from the folder's descriptor.
func removeDatabaseFiles(_ name: String, in folder: Folder) {
    for suffix in ["", "-journal", "-wal", "-shm"] { folder.remove(name + suffix) }
}

/// A copy of `databasePath` in `folder` needs about the database's size (its file and its WAL), and 1 MiB
/// to spare.
func checkSpace(in folder: Folder, toCopy databasePath: String) throws(BackupError) {
    let needed = fileSize(databasePath) + fileSize(databasePath + "-wal") + (1 << 20)
    let available: Int64
    do { available = try folder.availableBytes() } catch { throw .system(error) }
    if available < needed { throw .notEnoughSpace(directory: folder.path, needed: needed, available: available) }
}

/// Copies `source` into the file `destination` in `folder` (made there when missing) with the online backup API,
/// then runs `PRAGMA integrity_check` on the copy (unless `verify` is false). An existing destination's content
/// is replaced in one transaction. A `standalone` copy is switched to the rollback journal: Open WebUI keeps
/// webui.db in WAL mode, and a copy in WAL mode would grow `-wal` and `-shm` files beside it whenever it is
/// opened, even to be read. `sourceFolder`, when given, holds the source. Shared by the backups and by `restore`.
public func copyDatabase(from source: String, sourceFolder: Folder? = nil, to destination: String, in folder: Folder,
                         standalone: Bool = true, verify: Bool = true,
                         busyTimeout: Duration, stop: StopRequests) throws(BackupError) {
    let findings: [String]
    do {
        let from = try SQLiteConnection(path: source, mode: .readWriteExisting, busyTimeout: busyTimeout, stop: stop, folder: sourceFolder)
        let to = try SQLiteConnection(path: destination, mode: .readWriteCreate, busyTimeout: busyTimeout, stop: stop, folder: folder)
        try from.copyContent(to: to)
        if standalone { try to.execute("PRAGMA journal_mode = DELETE") }
        findings = verify ? try to.integrityCheck() : ["ok"]
    } catch {
        throw .database(error)
    }
    guard findings == ["ok"] else { throw .verificationFailed(path: destination, findings: findings) }
}

/// `PRAGMA integrity_check` of a file opened read-only (from `folder` when given): `["ok"]`, SQLite's findings,
/// or why it cannot be read.
public func checkIntegrity(of path: String, in folder: Folder? = nil) -> [String] {
    do {
        let connection = try SQLiteConnection(path: path, mode: .readOnly, busyTimeout: .seconds(5), stop: .never(), folder: folder)
        return try connection.integrityCheck()
    } catch {
        return ["\(error)"]
    }
}

/// The size of what `path` names (0 when nothing): an estimate of the space a copy needs; nothing is opened.
func fileSize(_ path: String) -> Int64 {
    var info = stat()
    return stat(path, &info) == 0 ? Int64(info.st_size) : 0
}

/// fsync of the file `name` in `folder`, opened from the folder's descriptor without following a link.
func syncFile(_ name: String, in folder: Folder) throws(BackupError) {
    let fd: Int32
    do { fd = try folder.open(name, O_RDONLY | O_NONBLOCK) } catch { throw .system(error) }
    defer { close(fd) }
    if fsync(fd) != 0 { throw .system(SystemError("fsync(\(folder.path(of: name)))")) }
}

/// `1.2 MB`, `512 kB`, `900 B` (decimal units, as `ls -h --si` and Docker show them).
public func byteCount(_ bytes: Int64) -> String {
    let units: [(Int64, String)] = [(1_000_000_000, "GB"), (1_000_000, "MB"), (1_000, "kB")]
    for (size, unit) in units where bytes >= size {
        let tenths = (bytes * 10 + size / 2) / size
        return "\(tenths / 10).\(tenths % 10) \(unit)"
    }
    return "\(bytes) B"
}
