import Glibc
import MaiSQL
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
///
/// Every file is reached from a descriptor of its folder, never through a link: the backup in `store`'s
/// folder, and beside the database its journals, the copy, and the names kept aside. A link (or any file)
/// where one of these names must be free or a file of ours is refused before anything is changed.
public func restoreBackup(_ backup: BackupFile, from store: BackupStore, databasePath: String, busyTimeout: Duration,
                          stop: StopRequests) throws(BackupError) -> Restored {
    let started = MonotonicInstant.now()
    let (directory, fileName) = splitPath(databasePath)
    let folder: Folder
    do { folder = try Folder(directory) } catch { throw .system(error) }
    if let link = linkedDatabaseFile(fileName, in: folder) { throw .link(path: link) }
    guard let backups = try store.folder() else { throw .system(SystemError("open(\(store.directory))", errno: ENOENT)) }
    do throws(SystemError) {
        guard try backups.regularFile(backup.name.fileName) != nil else { throw SystemError("open(\(backup.path))", errno: ENOENT) }
    } catch where error.isLink {
        throw .link(path: backup.path)
    } catch {
        throw .system(error)
    }
    let findings = checkIntegrity(of: backup.path, in: backups)
    guard findings == ["ok"] else { throw .unsoundBackup(path: backup.path, findings: findings) }
    let copy = "." + fileName + ".restoring"
    let original = folder.status(fileName)
    // Decided now, checked free now: a name that is taken (a link planted there, an earlier copy) stops the
    // restore before anything changes, and the renames below never replace what has it.
    let aside = fileName + ".before-restore-" + BackupName.basicTime(.now())
    if original != nil { try requireFree(aside, in: folder) }
    try checkSpace(in: folder, toCopy: backup.path)
    do throws(BackupError) {
        removeDatabaseFiles(copy, in: folder)
        try copyDatabase(from: backup.path, sourceFolder: backups, to: folder.path(of: copy), in: folder,
                         busyTimeout: busyTimeout, stop: stop)
        try settle(copy, in: folder, like: original)
    } catch {
        removeDatabaseFiles(copy, in: folder)
        throw error
    }
    if original != nil { try setAside(fileName, as: aside, in: folder) }
    do { try folder.rename(copy, to: fileName, replacing: false) } catch { throw .system(error) }
    folder.sync()
    return Restored(keptAside: original == nil ? nil : folder.path(of: aside), duration: started.duration(to: .now()))
}

private let databaseSuffixes = ["", "-wal", "-shm", "-journal"]

/// The names `aside` and its journals' are free; else the first taken one, refused (a link as a link).
private func requireFree(_ aside: String, in folder: Folder) throws(BackupError) {
    for suffix in databaseSuffixes {
        guard let taken = folder.status(aside + suffix) else { continue }
        if taken.mode & S_IFMT == S_IFLNK { throw .link(path: folder.path(of: aside + suffix)) }
        throw .nameTaken(path: folder.path(of: aside + suffix))
    }
}

/// The database and its journals renamed to `aside` (and `-wal`, `-shm`, `-journal`): owner, mode and content
/// stay as they were, whatever state the file is in, and no space is needed. The journals go first: a WAL left
/// under the old name beside the new database would be replayed into it. No rename replaces anything.
private func setAside(_ fileName: String, as aside: String, in folder: Folder) throws(BackupError) {
    for suffix in ["-wal", "-shm", "-journal", ""] {
        do {
            try folder.rename(fileName + suffix, to: aside + suffix, replacing: false)
        } catch where error.errno == ENOENT {
            continue
        } catch {
            throw .system(error)
        }
    }
}

/// The restored file takes the place of the one it replaces: the same owner (the server's user) and mode
/// (often 0600: the database holds every account's data), set on a descriptor of the file itself (by name, a
/// link swapped in would hand its target to the server's user); then it is synced.
private func settle(_ copy: String, in folder: Folder, like original: FileStatus?) throws(BackupError) {
    testStopPoint("restore-settle")
    let path = folder.path(of: copy)
    let fd: Int32
    do {
        fd = try folder.open(copy, O_RDONLY | O_NONBLOCK)
    } catch where error.isLink {
        throw .link(path: path)
    } catch {
        throw .system(error)
    }
    defer { close(fd) }
    if let original {
        guard fchown(fd, original.uid, original.gid) == 0 else { throw .system(SystemError("chown(\(path))")) }
        guard fchmod(fd, original.permissions) == 0 else { throw .system(SystemError("chmod(\(path))")) }
    }
    if fsync(fd) != 0 { throw .system(SystemError("fsync(\(path))")) }
}

/// The first of the database and its journals (`fileName` in `folder`) that is a symbolic link, as a path; nil
/// when none is. This program runs as root and opens, renames and creates these files; the server's user, who
/// owns the data folder, could plant a link in their place to make root write wherever it points.
public func linkedDatabaseFile(_ fileName: String, in folder: Folder) -> String? {
    databaseSuffixes.map { fileName + $0 }.first { name in
        folder.status(name).map { $0.mode & S_IFMT == S_IFLNK } == true
    }.map(folder.path(of:))
}

/// The same for a database path; nil when its folder cannot be opened (SQLite then says why).
public func linkedDatabaseFile(_ path: String) -> String? {
    let (directory, fileName) = splitPath(path)
    guard let folder = try? Folder(directory) else { return nil }
    return linkedDatabaseFile(fileName, in: folder)
}
