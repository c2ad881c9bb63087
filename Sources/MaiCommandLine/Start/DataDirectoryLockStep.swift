import ArgumentParser
import Glibc
import Logging
import MaiDatabase
import MaiSystem

/// The lock every run holds on its DATA_DIR while it supervises, so that one SQLite database has one writer:
/// a second container on the same volume (a `start-first` update, a second `docker run`) waits for the first
/// to stop, and `restore` refuses to run under a live server.
enum DataDirectoryLock {
    static let fileName = ".mai-entrypoint.lock"

    static func path(_ dataDirectory: String) -> String {
        (dataDirectory.hasSuffix("/") ? String(dataDirectory.dropLast()) : dataDirectory) + "/" + fileName
    }

    /// Takes the lock, waiting up to `timeout` for a holder (polled every 100 ms; flock(2) itself cannot time
    /// out). A TERM or INT ends the wait; a holder still there at the end is named, and the run exits 1. A lock
    /// that cannot be taken at all (a read-only or foreign volume) is a warning: the server still starts.
    /// A DATA_DIR that does not exist yet holds no data to protect and is not created here (Open WebUI creates
    /// it; in the image it is the volume's mount point, which always exists).
    static func acquire(_ dataDirectory: String, label: String = "DATA_DIR", timeout: Duration, stop: StopRequests,
                        logger: Logger) throws(StepEnd) -> FileLock? {
        guard FileStatus.of(dataDirectory)?.isDirectory == true else {
            logger.debug("\(label) \(dataDirectory) does not exist yet: no lock taken")
            return nil
        }
        let lockPath = path(dataDirectory)
        let started = MonotonicInstant.now()
        let deadline = started.advanced(by: timeout)
        var announced = false
        while true {
            let attempt: FileLock.Attempt
            do {
                attempt = try FileLock.tryAcquire(lockPath)
            } catch {
                logger.warning("cannot lock \(label) \(dataDirectory) (\(error)): a second instance on this data would not be kept out")
                return nil
            }
            switch attempt {
            case .acquired(let lock):
                if announced { logger.info("\(label) \(dataDirectory) is free: lock taken") }
                return lock
            case .held(let holder):
                let remaining = MonotonicInstant.now().duration(to: deadline)
                guard remaining > .zero else {
                    throw .failed("not starting the server: \(label) \(dataDirectory) is still in use by another mai-entrypoint, \(holder), after \(timeout.secondsText) s (--gate-timeout); one SQLite database takes one server")
                }
                // The holder writes its name just after it locks: give it a moment before naming nobody.
                if !announced && (holder.pid != nil || started.duration(to: .now()) > .milliseconds(500)) {
                    logger.warning("\(label) \(dataDirectory) is in use by another mai-entrypoint, \(holder): waiting up to \(timeout.secondsText) s for it to stop")
                    announced = true
                }
                if let signal = stop.pause(min(remaining, .milliseconds(100))) {
                    throw .stopped(signal, during: "while waiting for \(label) \(dataDirectory)")
                }
            }
        }
    }
}

/// The folders whose lock a run on SQLite holds: the database's own folder (one writer per file, wherever it
/// is: two runs with different DATA_DIRs may name one `DATABASE_URL=sqlite:////shared/webui.db`), then DATA_DIR
/// when it is another folder. Always in that order, so that two runs never each hold the one the other waits for.
func lockedFolders(databasePath path: String, dataDirectory: String) -> [(label: String, folder: String)] {
    let databaseFolder = path.lastIndex(of: "/").map { String(path[..<$0]) }.flatMap { $0.isEmpty ? "/" : $0 } ?? "."
    let same = (realPath(databaseFolder) ?? databaseFolder) == (realPath(dataDirectory) ?? dataDirectory)
    return same ? [("DATA_DIR", dataDirectory)] : [("the database's folder", databaseFolder), ("DATA_DIR", dataDirectory)]
}

/// The lock of a subcommand that changes a database (`restore`, `move-to-postgresql`), held through it: a run
/// that starts meanwhile waits for it. Any holder refuses it, whoever its parent is: a command started in the
/// background under a running server is re-parented to PID 1, the holder. (`docker compose run SERVICE
/// mai-entrypoint restore`, under the image's `mai-entrypoint --`, takes no lock first: a run whose command is
/// this program's subcommand becomes that subcommand, see `EntryPoint`.) The database's folder too, when it is
/// not DATA_DIR (a run elsewhere may hold only that one).
func lockOrRefuse(_ locked: (label: String, folder: String), _ action: String) throws -> FileLock {
    switch try FileLock.tryAcquire(DataDirectoryLock.path(locked.folder)) {
    case .acquired(let lock): return lock
    case .held(let holder):
        throw CommandFailure("refusing to \(action): a mai-entrypoint run, \(holder), holds \(locked.label) \(locked.folder); stop it first (docker stop), then run the \(action) in a one-off container")
    }
}

/// The run's locks (SQLite only: PostgreSQL replicas share a DATA_DIR by design and must start side by side),
/// taken before anything touches the data: the server's preparation (DATA_DIR made, --chown-data, the key)
/// must not change a volume under a live server. A folder that does not exist yet holds no data; when the
/// preparation makes it (DATA_DIR for --user), its lock is taken right after. Held until the program exits.
struct DataLocks {
    private(set) var held: [FileLock] = []
    /// Folders that did not exist when their turn came: taken once the preparation has made them.
    var missing: [(label: String, folder: String)] = []

    mutating func take(_ folders: [(label: String, folder: String)], timeout: Duration, stop: StopRequests,
                       logger: Logger) throws(StepEnd) {
        for (label, folder) in folders {
            guard FileStatus.of(folder)?.isDirectory == true else {
                missing.append((label, folder))
                continue
            }
            if let lock = try DataDirectoryLock.acquire(folder, label: label, timeout: timeout, stop: stop, logger: logger) {
                held.append(lock)
            }
        }
    }
}

/// The lock on SQLite's folders, before anything else touches the data: the database's own folder and DATA_DIR.
extension StartStep {
    static let lockData = StartStep(name: "lock the data") { state throws(StepEnd) in
        guard case .sqlite(let path)? = state.location else { return }
        try state.locks.take(lockedFolders(databasePath: path, dataDirectory: state.dataDirectory),
                             timeout: state.settings.dataSafety.gateTimeout, stop: state.stop, logger: state.logger)
    }
}

/// After the preparation: the folders it made (DATA_DIR for --user) are locked before anything is written in them.
extension StartStep {
    static let lockMadeData = StartStep(name: "lock the folders the preparation made") { state throws(StepEnd) in
        let made = state.locks.missing.filter { FileStatus.of($0.folder)?.isDirectory == true }
        state.locks.missing = []
        try state.locks.take(made, timeout: state.settings.dataSafety.gateTimeout, stop: state.stop, logger: state.logger)
    }
}
