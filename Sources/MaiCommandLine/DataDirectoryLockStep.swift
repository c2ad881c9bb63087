import ArgumentParser
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
    /// out). A TERM or INT ends the wait with 128+N; a holder still there at the end is named, and the run exits
    /// 1. A lock that cannot be taken at all (a read-only or foreign volume) is a warning: the server still starts.
    static func acquire(_ dataDirectory: String, timeout: Duration, inbox: SignalInbox, logger: Logger) throws(ExitCode) -> FileLock? {
        let lockPath = path(dataDirectory)
        let started = MonotonicInstant.now()
        let deadline = started.advanced(by: timeout)
        var announced = false
        while true {
            let attempt: FileLock.Attempt
            do {
                try createParentDirectory(of: lockPath)
                attempt = try FileLock.tryAcquire(lockPath)
            } catch {
                logger.warning("cannot lock DATA_DIR \(dataDirectory) (\(error)): a second instance on this data would not be kept out")
                return nil
            }
            switch attempt {
            case .acquired(let lock):
                if announced { logger.info("DATA_DIR \(dataDirectory) is free: lock taken") }
                return lock
            case .held(let holder):
                let remaining = MonotonicInstant.now().duration(to: deadline)
                guard remaining > .zero else {
                    logger.error("not starting the server: DATA_DIR \(dataDirectory) is still in use by another mai-entrypoint, \(holder), after \(timeout.secondsText) s (--gate-timeout); one SQLite database takes one server")
                    throw ExitCode(1)
                }
                // The holder writes its name just after it locks: give it a moment before naming nobody.
                if !announced && (holder.pid != nil || started.duration(to: .now()) > .milliseconds(500)) {
                    logger.warning("DATA_DIR \(dataDirectory) is in use by another mai-entrypoint, \(holder): waiting up to \(timeout.secondsText) s for it to stop")
                    announced = true
                }
                if let signal = waitForStop(inbox, min(remaining, .milliseconds(100))) {
                    logger.warning("not starting the server: stopped by \(signal) while waiting for DATA_DIR \(dataDirectory)")
                    throw ExitCode(128 + signal.rawValue)
                }
            }
        }
    }
}
