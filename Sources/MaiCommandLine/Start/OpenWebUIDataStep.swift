import ArgumentParser
import Glibc
import Logging
import MaiOpenWebUI
import MaiSQL
import MaiSystem
import MaiUsageTracking

/// The step before the server starts that keeps Open WebUI's SQLite database recoverable: it reports a
/// migration that was interrupted (leftover `_alembic_tmp_*` tables, a revision no script names) and, when
/// Open WebUI is about to migrate (its `alembic_version` is not the head of the installed scripts), copies
/// `webui.db` into DATA_DIR/backups first.
extension StartStep {
    static let protectOpenWebUIData = StartStep(name: "protect Open WebUI's data") { state throws(StepEnd) in
        try OpenWebUIDataStep(settings: state.settings.dataSafety, initRequired: state.settings.database.required,
                              stop: state.stop, scripts: state.scripts, logger: state.logger).run(state.location, dataDirectory: state.dataDirectory)
    }
}

struct OpenWebUIDataStep {
    let settings: DataSafetySettings
    /// `--init-required`: a half-migrated database stops the run too.
    let initRequired: Bool
    let stop: StopRequests
    let scripts: InstalledMigrationScripts
    let logger: Logger

    func run(_ location: DatabaseLocation?, dataDirectory: String) throws(StepEnd) {
        switch location {
        case nil:
            return  // usage tracking names what is wrong with the URL
        case .postgres:
            logger.info("Open WebUI's database is PostgreSQL: no backup is made before its migrations; take a pg_dump before upgrading the image")
        case .sqlite(let path):
            try refuseLinks(path)
            try protect(path, dataDirectory: dataDirectory)
        }
    }

    /// The database and its journals are opened (and created) by this program as root: a symbolic link the
    /// server's user planted in their place would make root create or write a file wherever it points.
    private func refuseLinks(_ path: String) throws(StepEnd) {
        guard let file = linkedDatabaseFile(path) else { return }
        throw .failed("not starting the server: \(file) is a symbolic link (not followed): mai-entrypoint runs as root and writes nothing through a link in the server's data; replace it with the file itself")
    }

    private func protect(_ path: String, dataDirectory: String) throws(StepEnd) {
        guard access(path, F_OK) == 0 else { return }  // fresh: Open WebUI creates everything
        let record: AlembicRecord
        do {
            let connection = try SQLiteConnection(path: path, mode: .readWriteExisting, busyTimeout: .seconds(10), stop: stop)
            record = try AlembicRecord.read(connection)
        } catch .interrupted(let signal) {
            throw stopped(by: signal)
        } catch .sqlite(let failure) where failure.isRefusedLink {
            // A link, or a file swapped in after the check: the server's user is at work in DATA_DIR.
            throw .failed("not starting the server: \(failure)")
        } catch {
            try backupFailed("cannot read Open WebUI's revision in \(path): \(error)")
            return
        }
        // A database Open WebUI never migrated (usage tables only, the quick start): nothing to compare; but
        // usage tables of an earlier version are carried to the app's shape, a schema change worth a copy too.
        guard record.revisions != nil || !record.leftoverTables.isEmpty else {
            try backUpBeforeCarry(record, path: path, store: BackupStore(dataDirectory: dataDirectory))
            return
        }
        let scripts = scripts.read(otherwise: "no backup is made before its migrations")
        let state = scripts?.state(of: record.revisions)
        let store = BackupStore(dataDirectory: dataDirectory)
        if let diagnosis = record.interruptedMigration(state: state, scripts: scripts, store: store, path: path) {
            logger.error("\(diagnosis)")
            if initRequired {
                throw .failed("not starting the server: \(fileName(path)) needs a restore first (--init-required)")
            }
            return  // no backup of a half-migrated database: it would push a good one out of the retention
        }
        guard case .pending(let from) = state, let scripts else {
            try backUpBeforeCarry(record, path: path, store: store)
            return
        }
        try backUp(path, at: from, head: scripts.heads.sorted(), into: store)
    }

    /// Open WebUI migrates nothing, but the usage tables of an earlier version are about to be carried.
    private func backUpBeforeCarry(_ record: AlembicRecord, path: String, store: BackupStore) throws(StepEnd) {
        guard !record.earlierUsageTables.isEmpty else { return }
        try backUp(path, at: record.revisions ?? ["none"], head: record.revisions ?? [], into: store,
                   purpose: "before the usage tables are carried to the app's shape")
    }

    private func backUp(_ path: String, at revisions: [String], head: [String], into store: BackupStore,
                        purpose: String = "before Open WebUI migrations") throws(StepEnd) {
        guard settings.keepBackups > 0 else {
            logger.info("no backup of \(fileName(path)) \(purpose): backups are off (--keep-backups 0)")
            return
        }
        do {
            let made = try store.backUp(databasePath: path, revision: revisions.joined(separator: "_"), keep: settings.keepBackups,
                                        busyTimeout: .seconds(10), stop: stop)
            logger.info("Backup of \(fileName(path)) \(purpose): \(made.file.path) (\(byteCount(made.file.bytes)), \(made.duration.wholeMilliseconds) ms)",
                        metadata: ["revision": "\(revisions.joined(separator: ","))", "head": "\(head.joined(separator: ","))"])
            for name in made.deleted {
                logger.info("deleted the old backup \(store.directory)/\(name) (--keep-backups \(settings.keepBackups))")
            }
            for link in made.links {
                logger.warning("\(link) is a symbolic link (not followed): not a backup, the retention neither counts nor deletes it; move it away")
            }
        } catch .database(.interrupted(let signal)) {
            throw stopped(by: signal)
        } catch {
            try backupFailed("no backup of \(fileName(path)) \(purpose): \(error)")
        }
    }

    private func backupFailed(_ reason: String) throws(StepEnd) {
        guard settings.backupRequired else {
            logger.warning("\(reason); starting the server anyway (--backup-required would stop here)")
            return
        }
        throw .failed("not starting the server: \(reason) (--backup-required)")
    }

    private func stopped(by signal: Signal) -> StepEnd {
        .stopped(signal, during: "before Open WebUI's migrations")
    }
}

private func fileName(_ path: String) -> String {
    path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
}
