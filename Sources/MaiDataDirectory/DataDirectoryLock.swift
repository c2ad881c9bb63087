import Glibc
import Logging
import MaiSystem

/// The lock every run holds on its DATA_DIR while it supervises, so that one SQLite database has one writer:
/// a second container on the same volume (a `start-first` update, a second `docker run`) waits for the first
/// to stop, and `restore` refuses to run under a live server.
public enum DataDirectoryLock {
    public static let fileName = ".mai-entrypoint.lock"

    public static func path(_ dataDirectory: String) -> String {
        (dataDirectory.hasSuffix("/") ? String(dataDirectory.dropLast()) : dataDirectory) + "/" + fileName
    }

    /// How a wait for the lock ended.
    public enum Outcome {
        case acquired(FileLock)
        /// No lock to take: the folder does not exist yet, or the lock cannot be taken at all (a read-only or
        /// foreign volume; one warning says so, and the server still starts).
        case none
        /// Another run still held it at the end of `timeout`.
        case timedOut(holder: FileLock.Holder)
        case stopped(Signal)
    }

    /// Takes the lock, waiting up to `timeout` for a holder (polled every 100 ms; flock(2) itself cannot time
    /// out). A TERM or INT ends the wait.
    /// A DATA_DIR that does not exist yet holds no data to protect and is not created here (Open WebUI creates
    /// it; in the image it is the volume's mount point, which always exists).
    public static func acquire(_ dataDirectory: String, label: String = "DATA_DIR", timeout: Duration, stop: StopRequests,
                               logger: Logger) -> Outcome {
        guard FileStatus.of(dataDirectory)?.isDirectory == true else {
            logger.debug("\(label) \(dataDirectory) does not exist yet: no lock taken")
            return .none
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
                return .none
            }
            switch attempt {
            case .acquired(let lock):
                if announced { logger.info("\(label) \(dataDirectory) is free: lock taken") }
                return .acquired(lock)
            case .held(let holder):
                let remaining = MonotonicInstant.now().duration(to: deadline)
                guard remaining > .zero else { return .timedOut(holder: holder) }
                // The holder writes its name just after it locks: give it a moment before naming nobody.
                if !announced && (holder.pid != nil || started.duration(to: .now()) > .milliseconds(500)) {
                    logger.warning("\(label) \(dataDirectory) is in use by another mai-entrypoint, \(holder): waiting up to \(timeout.secondsText) s for it to stop")
                    announced = true
                }
                if let signal = stop.pause(min(remaining, .milliseconds(100))) { return .stopped(signal) }
            }
        }
    }
}

/// The folders whose lock a run on SQLite holds: the database's own folder (one writer per file, wherever it
/// is: two runs with different DATA_DIRs may name one `DATABASE_URL=sqlite:////shared/webui.db`), then DATA_DIR
/// when it is another folder. Always in that order, so that two runs never each hold the one the other waits for.
public func lockedFolders(databasePath path: String, dataDirectory: String) -> [(label: String, folder: String)] {
    let databaseFolder = path.lastIndex(of: "/").map { String(path[..<$0]) }.flatMap { $0.isEmpty ? "/" : $0 } ?? "."
    let same = (realPath(databaseFolder) ?? databaseFolder) == (realPath(dataDirectory) ?? dataDirectory)
    return same ? [("DATA_DIR", dataDirectory)] : [("the database's folder", databaseFolder), ("DATA_DIR", dataDirectory)]
}
