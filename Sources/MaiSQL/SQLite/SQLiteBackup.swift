import CSQLite

extension SQLiteConnection {
    /// Copies this database into `destination`, replacing its content, with SQLite's online backup API
    /// (sqlite3_backup_init/step/finish): the copy is consistent even while another connection reads or writes
    /// the source (a write by another process makes the copy start again), and it is written to the destination
    /// as one transaction, so an interrupted copy leaves the destination as it was. The WAL's committed pages are
    /// part of the copy. A lock held elsewhere is waited for as long as this connection's busy timeout.
    public func copyContent(to destination: SQLiteConnection) throws(DatabaseError) {
        guard let backup = sqlite.backupInit(destination.handle, "main", handle, "main") else {
            throw destination.failure(sqlite.errcode(destination.handle))
        }
        var busyCount: Int32 = 0
        var result: Int32
        repeat {
            result = sqlite.backupStep(backup, -1)
            if result == SQLITE_BUSY || result == SQLITE_LOCKED {
                guard busyWait.shouldRetry(busyCount) else { break }
                busyCount += 1
                result = SQLITE_OK
            }
        } while result == SQLITE_OK
        let finished = sqlite.backupFinish(backup)
        if result != SQLITE_DONE { throw destination.failure(result == SQLITE_OK ? finished : result) }
        if finished != SQLITE_OK { throw destination.failure(finished) }
    }

    /// `PRAGMA integrity_check`: `["ok"]` for a sound database, else SQLite's findings (at most 100).
    public func integrityCheck() throws(DatabaseError) -> [String] {
        try query("PRAGMA integrity_check").compactMap { $0.first?.text }
    }
}
