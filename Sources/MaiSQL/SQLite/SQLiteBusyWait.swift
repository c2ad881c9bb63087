import CSQLite
import MaiSystem

/// SQLite's busy timeout, made interruptible: while another process holds the lock, SQLite calls back here
/// and the wait happens through `StopRequests`, so a TERM ends it at once instead of after the timeout.
final class SQLiteBusyWait {
    let timeout: Duration
    let stop: StopRequests
    private var started = MonotonicInstant.now()

    init(timeout: Duration, stop: StopRequests) {
        self.timeout = timeout
        self.stop = stop
    }

    /// Whether SQLite should try the lock again; `count` restarts at 0 for every new wait.
    func shouldRetry(_ count: Int32) -> Bool {
        if count == 0 { started = .now() }
        let remaining = timeout - started.duration(to: .now())
        guard remaining > .zero else { return false }
        // Short steps first, like SQLite's own handler: most locks are held for milliseconds.
        let step = Duration.milliseconds(min(1 << min(Int(count), 6), 50))
        return stop.pause(min(step, remaining)) == nil
    }

    /// Installs this wait on a connection; the connection keeps `self` alive as long as the handle.
    func install(on handle: OpaquePointer, _ sqlite: LibSQLite) {
        _ = sqlite.busyHandler(handle, busyCallback, Unmanaged.passUnretained(self).toOpaque())
    }
}

private let busyCallback: @convention(c) (UnsafeMutableRawPointer?, Int32) -> Int32 = { context, count in
    guard let context else { return 0 }
    return Unmanaged<SQLiteBusyWait>.fromOpaque(context).takeUnretainedValue().shouldRetry(count) ? 1 : 0
}
