import ArgumentParser
import Glibc
import Logging
import MaiDataDirectory
import MaiLogging
import MaiOpenWebUI
import MaiSQL
import MaiSystem
import MaiUsageTracking

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
        let (backups, links) = try failing { try readableContents(files.store) }
        // A link named like a backup is not one: said once, and the status is 1, as for an unsound backup.
        for link in links { EntryPoint.printLine(BackupError.link(path: link).description) }
        guard !backups.isEmpty else {
            EntryPoint.printLine("no backups in \(files.store.directory)")
            if !links.isEmpty { throw ExitCode(1) }
            return
        }
        EntryPoint.printLine("backups of \(files.databasePath) in \(files.store.directory), newest first:")
        var unsound = !links.isEmpty
        let folder = try failing { try files.store.folder() }
        for backup in backups {
            let findings = checkIntegrity(of: backup.path, in: folder)
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
            try restoreBackup(backup, from: files.store, databasePath: files.databasePath, busyTimeout: .seconds(5), stop: .never())
        }
        withExtendedLifetime(locks) {}
        let aside = restored.keptAside.map { "; the database it replaced is kept as \($0)" } ?? ""
        logger.info("Restored \(files.databasePath) from \(backup.path) (revision \(backup.name.revision), \(restored.duration.wholeMilliseconds) ms)\(aside)")
    }

    /// A link named like a backup is refused when it is the one asked for, or the newest name (what the
    /// operator means by "the newest backup"): restoring the one before it instead would be a surprise.
    private func choose(_ store: BackupStore) throws -> BackupFile {
        let (backups, links) = try readableContents(store)
        let linked = Dictionary(links.compactMap { path in
            path.split(separator: "/").last.flatMap { BackupName(fileName: String($0)) }.map { ($0, path) }
        }) { first, _ in first }
        guard let name else {
            let newestLink = linked.keys.max()
            if let newestLink, let path = linked[newestLink], backups.first.map({ newestLink > $0.name }) ?? true {
                throw CommandFailure(BackupError.link(path: path).description)
            }
            guard let newest = backups.first else { throw CommandFailure("no backup in \(store.directory) to restore") }
            return newest
        }
        guard let wanted = BackupName(fileName: name) else {
            throw CommandFailure("\(name) is not a backup's name: give a file name that `mai-entrypoint backups` lists (webui-<time>-<revision>.db)")
        }
        if let path = linked[wanted] { throw CommandFailure(BackupError.link(path: path).description) }
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

/// The backups and the links named like one, or why their folder cannot be read.
private func readableContents(_ store: BackupStore) throws(CommandFailure) -> (backups: [BackupFile], links: [String]) {
    do {
        return try store.contents()
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
