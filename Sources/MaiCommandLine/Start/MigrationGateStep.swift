import ArgumentParser
import Logging
import MaiOpenWebUI
import MaiSQL
import MaiSystem
import MaiUsageTracking

/// PostgreSQL only: Open WebUI's pending migrations run in one replica at a time (see `MigrationGate`). The held
/// gate goes to the supervisor, which releases it once the server is ready; nil when the server may start at
/// once. Waiting is bounded by --gate-timeout and ended by TERM or INT.
extension StartStep {
    static let passMigrationGate = StartStep(name: "pass the migration gate") { state throws(StepEnd) in
        guard case .postgres(let target)? = state.location else { return }
        let scripts = state.scripts.read(otherwise: "every start counts as one with migrations pending, one replica at a time")
        let logger = state.logger
        let outcome: MigrationGate.Outcome
        do {
            outcome = try MigrationGate.pass(target: target, scripts: scripts, timeout: state.settings.dataSafety.gateTimeout,
                                             stop: state.stop, logger: logger)
        } catch {
            // The server will meet the same database and say what is wrong with it; the gate only orders starts.
            logger.warning("migration gate not taken: \(error); starting the server without it")
            return
        }
        switch outcome {
        case .open(let revision):
            logger.info("Open WebUI's database is at its head revision: no migrations pending, no gate needed", metadata: ["revision": "\(revision)"])
        case .held(let hold):
            logger.info("holding the migration gate: this instance runs Open WebUI's migrations; other instances wait until its server is ready",
                        metadata: ["revision": "\(hold.revision ?? "none")", "waited": "\(hold.waited.secondsText)s"])
            state.gate = hold
        case .timedOut(let waited):
            throw .failed("not starting the server: another instance held the migration gate for Open WebUI's migrations for \(waited.secondsText) s (--gate-timeout)")
        case .stopped(let signal):
            throw .stopped(signal, during: "while waiting for another instance's Open WebUI migrations")
        }
    }
}

/// What the supervisor calls once the server has settled: the gate opens for the next replica.
func releaseWhenSettled(_ hold: MigrationGate.Hold?, logger: Logger) -> (() -> Void)? {
    guard let hold else { return nil }
    return {
        hold.release()
        logger.info("released the migration gate")
    }
}
