import Glibc

/// How a run knows it is nested: `CMD ["mai-entrypoint", "--", ...]` under the image's own `ENTRYPOINT
/// ["mai-entrypoint", "--"]` would otherwise wait on its parent's DATA_DIR lock (or migration gate) until its
/// timeout. The supervisor hands its child `MAI_ENTRYPOINT_SUPERVISOR=PID:START` (its pid and start time); a
/// later run believes it only when that process is alive with that very start time (a pid is reused, a pid and
/// start time pair is not) and is one of its ancestors (a copied variable names a stranger). The lock is not
/// the sign: a lock holder may be a sibling run that must be waited for.
public enum SupervisorMarker {
    public static let variable = "MAI_ENTRYPOINT_SUPERVISOR"

    /// `PID:START` of this process; nil when /proc cannot say.
    public static func current() -> String? {
        ProcessStat.of(getpid()).map { "\(getpid()):\($0.startTime)" }
    }

    /// The pid of the live ancestor that `environment`'s marker names, or nil.
    public static func liveAncestor(_ environment: EnvironmentBlock) -> pid_t? {
        guard let text = environment[variable] else { return nil }
        let fields = text.split(separator: ":")
        guard fields.count == 2, let pid = pid_t(fields[0]), pid > 0, let start = UInt64(fields[1]),
              ProcessStat.of(pid)?.startTime == start, isAncestor(pid) else { return nil }
        return pid
    }

    /// Walks up the parents from this process (at most 4096 steps: /proc may change under the walk).
    private static func isAncestor(_ wanted: pid_t) -> Bool {
        var pid = getppid()
        for _ in 0..<4096 {
            if pid == wanted { return true }
            guard pid > 1, let parent = ProcessStat.of(pid)?.parent else { return false }
            pid = parent
        }
        return false
    }
}

/// Replaces this process with the command, looked up in `PATH` as a spawn would, with this process's
/// environment; every signal unblocked first (exec keeps the mask; a caught signal's disposition becomes the
/// default). Returns only on failure.
public func replaceProcess(with arguments: [[UInt8]]) -> SpawnError {
    guard let command = arguments.first else { return SpawnError(command: "", errno: ENOENT) }
    let path: [UInt8]
    do {
        path = try resolveExecutable(command, searchPath: EnvironmentBlock.current().bytes("PATH").map(Array.init))
    } catch {
        return error
    }
    var empty = sigset_t()
    sigemptyset(&empty)
    sigprocmask(SIG_SETMASK, &empty, nil)
    _ = withCStrings(arguments) { argv in withCString(path) { execv($0, argv) } }
    return SpawnError(command: displayText(command), errno: errno)
}
