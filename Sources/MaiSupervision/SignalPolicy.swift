import Glibc
import MaiSystem

/// What the supervisor does with each signal it receives, as tini does it.
public enum SignalAction: Equatable, Sendable {
    /// CHLD: collect exited children.
    case reap
    /// TERM or INT: a request to stop, for the stop sequence. The first is held while the server starts,
    /// drained (a TERM, with `--drain`) or forwarded; a later one is forwarded too, as tini does. Nothing here
    /// kills: KILL comes only from the stop deadline.
    case stop
    /// Any other signal: forwarded as it came, to the child or, with `--signal-group`, its process group.
    case forward
    /// Not forwarded: faults of the supervisor itself, job control while a terminal is attached,
    /// and signals the supervisor raised on itself (a write to a closed pipe).
    case ignore
}

public struct SignalPolicy: Sendable {
    public let terminalAttached: Bool
    public let ownPID: pid_t

    public init(terminalAttached: Bool, ownPID: pid_t = getpid()) {
        self.terminalAttached = terminalAttached
        self.ownPID = ownPID
    }

    public static func isStopRequest(_ signal: Signal) -> Bool { signal.isStopRequest }

    public func action(for received: ReceivedSignal) -> SignalAction {
        let signal = received.signal
        if signal == .child { return .reap }
        if Signal.synchronousFaults.contains(signal) { return .ignore }
        if terminalAttached && Signal.jobControl.contains(signal) { return .ignore }
        if received.senderPID == ownPID && received.code <= 0 { return .ignore }
        return SignalPolicy.isStopRequest(signal) ? .stop : .forward
    }
}
