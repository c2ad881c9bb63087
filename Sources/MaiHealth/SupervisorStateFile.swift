import Glibc
import MaiSystem

/// What PID 1 tells `mai-entrypoint healthcheck` without the web server: that it has not seen the server ready
/// yet, or that it is stopping (draining before it forwards a TERM), so that the health check fails at once and
/// load balancers stop sending requests. Health and readiness are then one view.
///
/// The file holds the writer's pid and start time (`/proc/PID/stat` field 22). A reader believes it only when
/// that very process still runs: a file left by a previous life of the container (Docker keeps /run across
/// `docker restart` unless it is a tmpfs) names a process that is gone, or a pid 1 that started at another
/// time, and is ignored. So a stale file can never fail a healthy server, and a /run that cannot be written
/// costs only the early failure, never the health check itself.
public enum SupervisorState: String, Sendable, Equatable {
    /// The server is starting and the supervisor has not seen it ready yet: unhealthy, whatever the server
    /// answers meanwhile, so that a health check never turns green before the supervisor takes a TERM for the
    /// stop of a ready server (drained), not for a stop during the start (held, then forwarded).
    case starting
    /// Supervising; the server's own answer decides health.
    case running
    /// A stop was asked for: held while the server starts, draining, or forwarded.
    case stopping
}

public struct SupervisorStateFile: Sendable {
    public static let defaultPath = "/run/mai-entrypoint/state"
    /// Larger than any file this program writes: anything bigger is not ours.
    static let largestFile = 256

    public let path: String

    public init(path: String = SupervisorStateFile.defaultPath) { self.path = path }

    /// What a reader makes of the file.
    public enum Reading: Equatable, Sendable {
        /// No file, or not one this program wrote: nothing learned, the server's answer decides.
        case absent
        /// Written by a process that no longer runs (a previous life of the container): ignored.
        case stale(pid: pid_t)
        /// Written by a supervisor that runs now.
        case current(SupervisorState, pid: pid_t)
    }

    /// Publishes the state for this process; throws when it cannot be written (a read-only /run).
    public func write(_ state: SupervisorState) throws(SystemError) {
        let pid = getpid()
        guard let start = ProcessStat.of(pid)?.startTime else { throw SystemError("read(/proc/self/stat)", errno: ENOENT) }
        try replaceFileAtomically(path, contents: SupervisorStateFile.text(state, pid: pid, start: start))
    }

    /// Removes the file at the end of supervision; a failure changes nothing (a reader would find it stale).
    public func remove() {
        unlink(path)
    }

    public func read() -> Reading {
        guard let text = readBounded(path), let record = SupervisorStateFile.parse(text) else { return .absent }
        guard ProcessStat.of(record.pid)?.startTime == record.start else { return .stale(pid: record.pid) }
        return .current(record.state, pid: record.pid)
    }

    static func text(_ state: SupervisorState, pid: pid_t, start: UInt64) -> String {
        "state=\(state.rawValue)\npid=\(pid)\nstart=\(start)\n"
    }

    /// The three fields, or nil when any is missing or odd: such a file is not ours and says nothing.
    static func parse(_ text: String) -> (state: SupervisorState, pid: pid_t, start: UInt64)? {
        var fields: [Substring: Substring] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { return nil }
            fields[line[..<equals]] = line[line.index(after: equals)...]
        }
        guard let state = fields["state"].flatMap({ SupervisorState(rawValue: String($0)) }),
              let pid = fields["pid"].flatMap({ pid_t($0) }), pid > 0,
              let start = fields["start"].flatMap({ UInt64($0) }) else { return nil }
        return (state, pid, start)
    }
}

/// The file's text when it is a small regular file; nil otherwise (missing, a directory, a FIFO that would
/// block, a link, more than a state file holds).
private func readBounded(_ path: String) -> String? {
    (try? readFile(path, limit: SupervisorStateFile.largestFile, followLinks: false)).map { String(decoding: $0, as: UTF8.self) }
}
