import Glibc
import MaiSystem

/// What a restore did.
public struct Restored: Equatable, Sendable {
    /// Where the database as it was before is kept (`webui.db.before-restore-<time>`); nil when there was none.
    public let keptAside: String?
    public let duration: Duration
}

/// Puts a backup back into `databasePath`. The backup is checked first, then copied into a hidden file beside
/// the database (checked again, given the current database's owner and mode, synced). Only then is the current
/// database renamed aside (`<file>.before-restore-<UTC time>`, with its journals; never deleted by this
/// program) and the copy renamed into its place. A rename works whatever the file holds: the database being
/// replaced is often the damaged one, which SQLite cannot copy (SQLITE_CORRUPT). The caller makes sure that
/// no server has the database open (the DATA_DIR lock, /proc): a server would go on with the old file.
public func restoreBackup(_ backup: BackupFile, databasePath: String, busyTimeout: Duration,
                          stop: StopRequests) throws(BackupError) -> Restored {
    let started = MonotonicInstant.now()
    if let link = linkedDatabaseFile(databasePath) { throw .link(path: link) }
    let findings = checkIntegrity(of: backup.path)
    guard findings == ["ok"] else { throw .unsoundBackup(path: backup.path, findings: findings) }
    let folder = databasePath.lastIndex(of: "/").map { String(databasePath[..<$0]) } ?? "."
    let fileName = databasePath.split(separator: "/").last.map(String.init) ?? databasePath
    let copy = folder + "/." + fileName + ".restoring"
    let original = FileStatus.of(databasePath, followLinks: false)
    try checkSpace(in: folder, toCopy: backup.path)
    do throws(BackupError) {
        removeDatabaseFiles(copy)
        try copyDatabase(from: backup.path, to: copy, busyTimeout: busyTimeout, stop: stop)
        if let original { try giveOwnerAndMode(copy, original) }
        try syncFile(copy)
    } catch {
        removeDatabaseFiles(copy)
        throw error
    }
    let aside = original == nil ? nil : try setAside(databasePath)
    guard rename(copy, databasePath) == 0 else { throw .system(SystemError("rename(\(copy), \(databasePath))")) }
    syncDirectory(folder)
    return Restored(keptAside: aside, duration: started.duration(to: .now()))
}

/// The database and its journals renamed to `<file>.before-restore-<time>` (and `-wal`, `-shm`, `-journal`):
/// owner, mode and content stay as they were, whatever state the file is in, and no space is needed. The
/// journals go first: a WAL left under the old name beside the new database would be replayed into it.
private func setAside(_ databasePath: String) throws(BackupError) -> String {
    let aside = databasePath + ".before-restore-" + BackupName.basicTime(.now())
    for suffix in ["-wal", "-shm", "-journal", ""] where rename(databasePath + suffix, aside + suffix) != 0 && errno != ENOENT {
        throw .system(SystemError("rename(\(databasePath + suffix), \(aside + suffix))"))
    }
    return aside
}

/// The restored file takes the place of the one it replaces: the same owner (the server's user) and mode
/// (often 0600: the database holds every account's data).
private func giveOwnerAndMode(_ path: String, _ status: FileStatus) throws(BackupError) {
    guard chown(path, status.uid, status.gid) == 0 else { throw .system(SystemError("chown(\(path))")) }
    guard chmod(path, status.permissions) == 0 else { throw .system(SystemError("chmod(\(path))")) }
}

/// The first of the database and its journals that is a symbolic link, or nil. This program runs as root and
/// opens, renames and creates these files; the server's user, who owns the data folder, could plant a link in
/// their place to make root write wherever it points.
public func linkedDatabaseFile(_ path: String) -> String? {
    [path, path + "-wal", path + "-shm", path + "-journal"].first { file in
        FileStatus.of(file, followLinks: false).map { $0.mode & S_IFMT == S_IFLNK } == true
    }
}
