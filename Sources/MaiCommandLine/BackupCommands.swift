import ArgumentParser
import Glibc
import Logging
import MaiDatabase
import MaiLogging
import MaiSystem

/// Where the backup subcommands find Open WebUI's SQLite database and its DATA_DIR: the same env files,
/// variables and rule as the run.
private struct OpenWebUIFiles {
    let databasePath: String
    let dataDirectory: String
    let store: BackupStore

    init(_ environmentFiles: EnvironmentFileOptions, _ logging: LoggingOptions, _ context: StartContext) throws {
        let (loaded, options, ignored) = try environmentFiles.loadWithOptions(context.environment)
        bootstrapLogging(try logging.settings(options))
        EnvironmentFileOptions.logLoaded(loaded, ignored: ignored, to: Logger(label: "mai-entrypoint"))
        let variables = loaded.environment.values
        let database = OpenWebUIDatabase.resolve(variables)
        guard case .sqlite(let path) = try DatabaseLocation.locate(database) else {
            throw CommandFailure("Open WebUI's database is PostgreSQL (\(database.maskedURL)): backups and restores are pg_dump's and pg_restore's job")
        }
        databasePath = path
        dataDirectory = OpenWebUIDatabase.dataDirectory(variables)
        store = BackupStore(dataDirectory: dataDirectory)
    }
}

/// A refusal or a failure of a subcommand: one error line, status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `mai-entrypoint backups`: the copies made before Open WebUI's migrations, newest first, each checked.
struct BackupsCommand: StartedCommand {
    static let configuration = CommandConfiguration(
        commandName: "backups",
        abstract: "List the backups of webui.db in DATA_DIR/backups: time, revision, size and integrity, newest first.",
        discussion: "Reads the same env files and variables as the run. EXIT STATUS: 0; 1 when a backup fails its integrity check or the database is not SQLite; 2 for a usage error.")

    @OptionGroup var logging: LoggingOptions
    @OptionGroup var environmentFiles: EnvironmentFileOptions

    func execute(_ context: StartContext) throws {
        let files = try failing { try OpenWebUIFiles(environmentFiles, logging, context) }
        let backups = try failing { try readableList(files.store) }
        guard !backups.isEmpty else {
            EntryPoint.printLine("no backups in \(files.store.directory)")
            return
        }
        EntryPoint.printLine("backups of \(files.databasePath) in \(files.store.directory), newest first:")
        var unsound = false
        for backup in backups {
            let findings = checkIntegrity(of: backup.path)
            unsound = unsound || findings != ["ok"]
            let integrity = findings == ["ok"] ? "integrity ok" : "integrity FAILED: " + findings.prefix(3).joined(separator: "; ")
            EntryPoint.printLine("\(backup.name.fileName)  \(backup.name.readableTime)  revision \(backup.name.revision)  \(byteCount(backup.bytes))  \(integrity)")
        }
        if unsound { throw ExitCode(1) }
    }
}

/// `mai-entrypoint restore [NAME]`: puts a backup back, keeping the current database aside.
struct RestoreCommand: StartedCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Put a backup of webui.db back (default: the newest); the current file is kept as webui.db.before-restore-<time>.",
        discussion: """
            Run it with the server stopped: it refuses while a mai-entrypoint run holds DATA_DIR or another process \
            has webui.db open. Reads the same env files and variables as the run.

            EXIT STATUS: 0 restored; 1 refused or failed (nothing was changed unless the line says so); 2 for a usage error.
            """)

    @OptionGroup var logging: LoggingOptions
    @OptionGroup var environmentFiles: EnvironmentFileOptions

    @Argument(help: ArgumentHelp("A backup's file name, as `mai-entrypoint backups` lists it (default: the newest).", valueName: "NAME"))
    var name: String?

    /// Signals stay blocked: a restore runs to its end (it is one transaction either way).
    func execute(_ context: StartContext) throws {
        let files = try failing { try OpenWebUIFiles(environmentFiles, logging, context) }
        let logger = Logger(label: "mai-entrypoint")
        let backup = try failing { try choose(files.store) }
        let locks = try failing { try lockedFolders(databasePath: files.databasePath, dataDirectory: files.dataDirectory).map { try lockOrRefuse($0, "restore") } }
        try failing { try refuseWhileOpen(files.databasePath) }
        let restored = try failing { () throws(BackupError) in
            try restoreBackup(backup, databasePath: files.databasePath, busyTimeout: .seconds(5), stop: .never())
        }
        withExtendedLifetime(locks) {}
        let aside = restored.keptAside.map { "; the database it replaced is kept as \($0)" } ?? ""
        logger.info("Restored \(files.databasePath) from \(backup.path) (revision \(backup.name.revision), \(restored.duration.wholeMilliseconds) ms)\(aside)")
    }

    private func choose(_ store: BackupStore) throws -> BackupFile {
        let backups = try readableList(store)
        guard let name else {
            guard let newest = backups.first else { throw CommandFailure("no backup in \(store.directory) to restore") }
            return newest
        }
        guard let wanted = BackupName(fileName: name) else {
            throw CommandFailure("\(name) is not a backup's name: give a file name that `mai-entrypoint backups` lists (webui-<time>-<revision>.db)")
        }
        guard let backup = backups.first(where: { $0.name == wanted }) else {
            throw CommandFailure("no backup \(name) in \(store.directory)")
        }
        return backup
    }

    /// A server started without mai-entrypoint takes no lock: look for it in /proc (best effort).
    private func refuseWhileOpen(_ databasePath: String) throws {
        let path = realPath(databasePath) ?? databasePath
        let openers = processesWithOpen([path, path + "-wal", path + "-journal", path + "-shm"])
        guard let first = openers.first else { return }
        throw CommandFailure("refusing to restore: \(first)" + (openers.count > 1 ? " (and \(openers.count - 1) more)" : "") + "; stop it first")
    }
}

/// The backups, or why their folder cannot be read.
private func readableList(_ store: BackupStore) throws(CommandFailure) -> [BackupFile] {
    do {
        return try store.list()
    } catch .system(let error) {
        throw CommandFailure("cannot read the backups folder \(store.directory): \(error.reason.lowercased())")
    } catch {
        throw CommandFailure(error.description)
    }
}

/// Runs `body`; a failure becomes one error line and status 1 (a usage error stays 2, an exit status stays).
func failing<T, E: Error>(_ body: () throws(E) -> T) throws -> T {
    do {
        return try body()
    } catch let error as UsageError {
        throw error
    } catch let error as ExitCode {
        throw error
    } catch {
        EntryPoint.fail("\(error)", status: 1)
    }
}
