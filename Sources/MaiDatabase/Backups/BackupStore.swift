import Glibc
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
        }
    }
}

/// `DATA_DIR/backups`: copies of `webui.db` made before Open WebUI's migrations, and the retention that keeps
/// the newest of them. Only names `BackupName` accepts are listed or deleted: anything an operator puts in the
/// folder stays.
public struct BackupStore: Sendable {
    public let directory: String

    public init(dataDirectory: String) {
        directory = (dataDirectory.hasSuffix("/") ? String(dataDirectory.dropLast()) : dataDirectory) + "/backups"
    }

    /// Newest first; an empty list when the folder does not exist. A folder that is there but cannot be read
    /// (not a folder, no permission) is an error: "no backups" would be untrue.
    public func list() throws(BackupError) -> [BackupFile] {
        // O_NOFOLLOW: a link in place of the folder is not opened (with O_DIRECTORY Linux says ENOTDIR, else ELOOP)
        // instead of being listed, and pruned.
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0, let folder = fdopendir(fd) else {
            let failure = SystemError("open(\(directory))")
            if fd >= 0 { close(fd) }
            if failure.errno == ENOENT { return [] }
            let isLink = FileStatus.of(directory, followLinks: false).map { $0.mode & S_IFMT == S_IFLNK } == true
            throw isLink ? .link(path: directory) : .system(failure)
        }
        defer { closedir(folder) }
        var files: [BackupFile] = []
        while let entry = readdir(folder) {
            let fileName = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let name = BackupName(fileName: fileName) else { continue }
            let path = directory + "/" + fileName
            var info = stat()
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            files.append(BackupFile(name: name, path: path, bytes: Int64(info.st_size)))
        }
        return files.sorted { $0.name > $1.name }
    }

    /// Copies the database at `databasePath` (at `revision`) into the folder, verifies the copy and applies the
    /// retention. The copy is written under a hidden temporary name and renamed when verified, so a name of the
    /// pattern is always a complete, checked copy.
    public func backUp(databasePath: String, revision: String, keep: Int, busyTimeout: Duration,
                       stop: StopRequests) throws(BackupError) -> MadeBackup {
        let started = MonotonicInstant.now()
        try createDirectory()
        try checkSpace(in: directory, toCopy: databasePath)
        let name = BackupName(time: .now(), revision: revision)
        let path = directory + "/" + name.fileName
        let temporary = directory + "/." + name.fileName + ".partial"
        do throws(BackupError) {
            try copyDatabase(from: databasePath, to: temporary, busyTimeout: busyTimeout, stop: stop)
            try syncFile(temporary)
            guard rename(temporary, path) == 0 else { throw BackupError.system(SystemError("rename(\(temporary), \(path))")) }
        } catch {
            removeDatabaseFiles(temporary)
            throw error
        }
        syncDirectory(directory)
        var info = stat()
        let bytes = stat(path, &info) == 0 ? Int64(info.st_size) : 0
        let deleted = prune(keep: keep)
        return MadeBackup(file: BackupFile(name: name, path: path, bytes: bytes), duration: started.duration(to: .now()),
                          deleted: deleted)
    }

    /// Deletes the backups beyond the newest `keep`; returns them.
    public func prune(keep: Int) -> [BackupName] {
        let doomed = BackupName.beyondRetention(((try? list()) ?? []).map(\.name), keep: keep)
        return doomed.filter { unlink(directory + "/" + $0.fileName) == 0 }
    }

    /// mkdir never follows a link (EEXIST); what is there is then checked to be a folder, not a link to one.
    private func createDirectory() throws(BackupError) {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST { throw .system(SystemError("mkdir(\(directory))")) }
        var info = stat()
        guard lstat(directory, &info) == 0 else { throw .system(SystemError("lstat(\(directory))")) }
        if info.st_mode & S_IFMT == S_IFLNK { throw .link(path: directory) }
    }
}

/// Deletes a copy this program was making (never the database itself), with the journals SQLite made beside it.
func removeDatabaseFiles(_ path: String) {
    for suffix in ["", "-journal", "-wal", "-shm"] { unlink(path + suffix) }
}

/// A copy of `databasePath` in `directory` needs about the database's size (its file and its WAL), and 1 MiB
/// to spare.
func checkSpace(in directory: String, toCopy databasePath: String) throws(BackupError) {
    let needed = fileSize(databasePath) + fileSize(databasePath + "-wal") + (1 << 20)
    var info = statvfs()
    guard statvfs(directory, &info) == 0 else { throw .system(SystemError("statvfs(\(directory))")) }
    let available = Int64(info.f_bavail) * Int64(info.f_frsize)
        if available < needed { throw .notEnoughSpace(directory: directory, needed: needed, available: available) }
}

/// Copies `source` into a new file at `destination` with the online backup API, then runs `PRAGMA
/// integrity_check` on the copy (unless `verify` is false). An existing destination's content is replaced in
/// one transaction. A `standalone` copy is switched to the rollback journal: Open WebUI keeps webui.db in WAL
/// mode, and a copy in WAL mode would grow `-wal` and `-shm` files beside it whenever it is opened, even to
/// be read. Shared by the backups and by `restore`.
public func copyDatabase(from source: String, to destination: String, standalone: Bool = true, verify: Bool = true,
                         busyTimeout: Duration, stop: StopRequests) throws(BackupError) {
    let findings: [String]
    do {
        let from = try SQLiteConnection(path: source, mode: .readWriteExisting, busyTimeout: busyTimeout, stop: stop)
        let to = try SQLiteConnection(path: destination, mode: .readWriteCreate, busyTimeout: busyTimeout, stop: stop)
        try from.copyContent(to: to)
        if standalone { try to.execute("PRAGMA journal_mode = DELETE") }
        findings = verify ? try to.integrityCheck() : ["ok"]
    } catch {
        throw .database(error)
    }
    guard findings == ["ok"] else { throw .verificationFailed(path: destination, findings: findings) }
}

/// `PRAGMA integrity_check` of a file opened read-only: `["ok"]`, SQLite's findings, or why it cannot be read.
public func checkIntegrity(of path: String) -> [String] {
    do {
        let connection = try SQLiteConnection(path: path, mode: .readOnly, busyTimeout: .seconds(5), stop: .never())
        return try connection.integrityCheck()
    } catch {
        return ["\(error)"]
    }
}

func fileSize(_ path: String) -> Int64 {
    var info = stat()
    return stat(path, &info) == 0 ? Int64(info.st_size) : 0
}

func syncFile(_ path: String) throws(BackupError) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .system(SystemError("open(\(path))")) }
    defer { close(fd) }
    if fsync(fd) != 0 { throw .system(SystemError("fsync(\(path))")) }
}

/// A rename is durable once the folder is synced; a failure here is ignored (the data itself was synced).
func syncDirectory(_ path: String) {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    fsync(fd)
    close(fd)
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
