import Glibc
import Logging
import MaiSystem

/// After the main child has exited, what it left behind gets TERM, then KILL once the grace has passed,
/// so that nothing is killed uncleanly by the kernel when PID 1 exits.
struct OrphanCleanup {
    /// How often a KILL round repeats while processes remain: a killed parent hands its own children to us.
    static let killRepeat: Duration = .milliseconds(50)

    let childGroup: pid_t
    let grace: Duration
    private(set) var deadline: MonotonicInstant?
    private(set) var terminated = 0
    private(set) var killed = 0
    var finished = false

    init(childGroup: pid_t, grace: Duration) {
        self.childGroup = childGroup
        self.grace = grace
    }

    mutating func terminate(logger: Logger) throws(SystemError) {
        let left = processesLeft()
        terminated = left.count
        logger.info("child left processes behind; sending TERM", metadata: [
            "count": .stringConvertible(left.count), "orphan_grace": "\(grace.secondsText)s",
        ])
        try signalAll(.terminate, left)
        deadline = MonotonicInstant.now().advanced(by: grace)
    }

    mutating func killNow(logger: Logger) throws(SystemError) {
        let left = processesLeft()
        if killed == 0 && !left.isEmpty {
            logger.warning("orphans still running; sending KILL", metadata: ["count": .stringConvertible(left.count)])
        }
        killed += left.count
        try signalAll(.kill, left)
        deadline = MonotonicInstant.now().advanced(by: OrphanCleanup.killRepeat)
    }

    /// As PID 1, every other process of the namespace; as a subreaper, our children and the child's group.
    private func processesLeft() -> [pid_t] {
        isProcessOne ? allOtherProcesses() : directChildren()
    }

    private func signalAll(_ signal: Signal, _ pids: [pid_t]) throws(SystemError) {
        if isProcessOne {
            if kill(-1, signal.rawValue) != 0 && errno != ESRCH { throw SystemError("kill(-1, \(signal))") }
            return
        }
        try sendSignal(signal, to: -childGroup)
        // Once each: the ones in the child's group were just signalled with it.
        for pid in pids where getpgid(pid) != childGroup { try sendSignal(signal, to: pid) }
    }
}
