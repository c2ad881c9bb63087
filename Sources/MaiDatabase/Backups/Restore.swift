import Glibc
import MaiSystem

/// What a restore did.
public struct Restored: Equatable, Sendable {
    /// Where the database as it was before is kept (`webui.db.before-restore-<time>`); nil when there was none.
    public let keptAside: String?
    public let duration: Duration
}

/// Puts a backup back into `databasePath`. The backup is checked first; the current database is then copied
/// aside (`<file>.before-restore-<UTC time>`, never deleted by this program) and replaced by the backup's
/// content in one transaction of the online backup API, so an interruption at any point leaves either the old
/// or the restored database, never a mix; the result is checked again. The caller makes sure that no server
/// has the database open (the DATA_DIR lock, /proc).
public func restoreBackup(_ backup: BackupFile, databasePath: String, busyTimeout: Duration,
                          stop: StopRequests) throws(BackupError) -> Restored {
    let started = MonotonicInstant.now()
    let findings = checkIntegrity(of: backup.path)
    guard findings == ["ok"] else { throw .unsoundBackup(path: backup.path, findings: findings) }
    var keptAside: String?
    if access(databasePath, F_OK) == 0 {
        let aside = databasePath + ".before-restore-" + BackupName.basicTime(.now())
        let folder = databasePath.lastIndex(of: "/").map { String(databasePath[..<$0]) } ?? "."
        try checkSpace(in: folder, toCopy: databasePath)
        // The database being replaced may be the half-migrated one: kept as it is, not checked.
        try copyDatabase(from: databasePath, to: aside, verify: false, busyTimeout: busyTimeout, stop: stop)
        try syncFile(aside)
        keptAside = aside
    }
    try copyDatabase(from: backup.path, to: databasePath, standalone: false, busyTimeout: busyTimeout, stop: stop)
    try syncFile(databasePath)
    return Restored(keptAside: keptAside, duration: started.duration(to: .now()))
}
