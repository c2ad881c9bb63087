import Glibc
import MaiSystem

/// What the child left behind when it exited: as PID 1, every other process of the namespace; as a
/// subreaper, our remaining children and the child's process group. They get TERM, then KILL (see
/// `StopSequence`), so that nothing is killed uncleanly by the kernel when PID 1 exits.
struct Orphans {
    let childGroup: pid_t

    func list() -> [pid_t] {
        isProcessOne ? allOtherProcesses() : directChildren()
    }

    /// Signals every one of them; returns the first failure (the rest are still signalled).
    func signalAll(_ signal: Signal) -> SystemError? {
        if isProcessOne {
            // kill(-1) reaches every process we may signal, except ourselves: in our own namespace, all of them.
            return sendSignalToAll(signal)
        }
        var failure: SystemError?
        do { try sendSignal(signal, to: -childGroup) } catch { failure = error }
        // Once each: the ones in the child's group were just signalled with it.
        for pid in list() where getpgid(pid) != childGroup {
            do { try sendSignal(signal, to: pid) } catch { failure = failure ?? error }
        }
        return failure
    }
}
