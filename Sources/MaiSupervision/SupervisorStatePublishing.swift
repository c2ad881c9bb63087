import Logging
import MaiHealth

/// The state file `healthcheck` reads (with `--drain` only): published whenever what it must answer changes.
extension Supervisor {
    /// Feeds the sequence one event; when that changes what `healthcheck` must answer, the state file says so
    /// before any action is carried out (it fails from the first stop request on: held, draining or forwarded).
    mutating func transition(_ event: (inout StopSequence) -> [StopSequence.Action]) -> [StopSequence.Action] {
        let before = healthState
        let actions = event(&sequence)
        if let after = healthState, after != before { publish(after) }
        return actions
    }

    /// What `healthcheck` must answer now; nil without a drain: no file is written then.
    var healthState: SupervisorState? { configuration.drain > .zero ? sequence.healthState : nil }

    /// Tells `healthcheck` the state. A failure is logged once, as a warning, and changes nothing else: the
    /// drain still delays the TERM, and the health check goes on asking the server.
    mutating func publish(_ state: SupervisorState) {
        do {
            try configuration.stateFile.write(state)
        } catch {
            guard reportedFailures.insert("state file").inserted else { return }
            logger.warning("cannot write the state file; healthcheck will not fail during the drain", metadata: [
                "path": "\(configuration.stateFile.path)", "call": "\(error.call)", "errno": .stringConvertible(error.errno),
                "error": "\(error.reason)",
            ])
        }
    }
}
