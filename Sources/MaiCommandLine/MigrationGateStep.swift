import ArgumentParser
import Logging
import MaiDatabase
import MaiSystem

/// PostgreSQL only: Open WebUI's pending migrations run in one replica at a time (see `MigrationGate`). Returns
/// the held gate, which the supervisor releases once the server is ready, or nil when the server may start at
/// once. Waiting is bounded by --gate-timeout and ended by TERM or INT.
func passMigrationGate(_ database: OpenWebUIDatabase, _ settings: DataSafetySettings, inbox: SignalInbox,
                       logger: Logger) throws(ExitCode) -> MigrationGate.Hold? {
    guard case .postgres(let target)? = try? DatabaseLocation.locate(database) else { return nil }
    let scripts = installedMigrationScripts(settings, logger: logger, otherwise: "every start counts as one with migrations pending, one replica at a time")
    let stop = StopRequests { timeout in waitForStop(inbox, timeout) }
    let outcome: MigrationGate.Outcome
    do {
        outcome = try MigrationGate.pass(target: target, scripts: scripts, timeout: settings.gateTimeout, stop: stop, logger: logger)
    } catch {
        // The server will meet the same database and say what is wrong with it; the gate only orders starts.
        logger.warning("migration gate not taken: \(error); starting the server without it")
        return nil
    }
    switch outcome {
    case .open(let revision):
        logger.info("Open WebUI's database is at its head revision: no migrations pending, no gate needed", metadata: ["revision": "\(revision)"])
        return nil
    case .held(let hold):
        logger.info("holding the migration gate: this instance runs Open WebUI's migrations; other instances wait until its server is ready",
                    metadata: ["revision": "\(hold.revision ?? "none")", "waited": "\(hold.waited.secondsText)s"])
        return hold
    case .timedOut(let waited):
        logger.error("not starting the server: another instance held the migration gate for Open WebUI's migrations for \(waited.secondsText) s (--gate-timeout)")
        throw ExitCode(1)
    case .stopped(let signal):
        logger.warning("not starting the server: stopped by \(signal) while waiting for another instance's Open WebUI migrations")
        throw ExitCode(128 + signal.rawValue)
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
