import ArgumentParser
import Glibc
import Logging
import MaiDataDirectory
import MaiSQL
import MaiSystem

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
            switch DataDirectoryLock.acquire(folder, label: label, timeout: timeout, stop: stop, logger: logger) {
            case .acquired(let lock):
                held.append(lock)
            case .none:
                continue
            case .timedOut(let holder):
                throw .failed("not starting the server: \(label) \(folder) is still in use by another mai-entrypoint, \(holder), after \(timeout.secondsText) s (--gate-timeout); one SQLite database takes one server")
            case .stopped(let signal):
                throw .stopped(signal, during: "while waiting for \(label) \(folder)")
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
