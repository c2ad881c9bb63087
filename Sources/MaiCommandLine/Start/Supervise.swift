import Glibc
import Logging
import MaiSupervision
import MaiSystem

public let programVersion = "0.1.0"

/// The first line of every run: which version, which pid, and how orphans come back to it.
func announceStart(logger: Logger) throws {
    let mode = try Supervisor.prepareReaping()
    logger.info("starting", metadata: ["version": "\(programVersion)", "pid": .stringConvertible(getpid()), "mode": "\(mode)"])
}

/// The main job: run the child, report how it ended. Returns the exit status.
/// `whenSettled` runs once the server is ready, given up on or gone (the migration gate's release).
func superviseCommand(_ command: [[UInt8]], configuration: SupervisorConfiguration, inbox: SignalInbox, logger: Logger,
                      whenSettled: (() -> Void)? = nil) throws -> Int32 {
    var supervisor = Supervisor(configuration: configuration, inbox: inbox, logger: logger, whenSettled: whenSettled)
    let outcome: SupervisionOutcome
    do {
        outcome = try supervisor.run(command)
    } catch let error as SpawnError {
        logger.error("\(error.description)", metadata: ["exit_status": .stringConvertible(error.exitStatus)])
        return error.exitStatus
    }
    logger.info("exiting: \(outcome.reason.rawValue)", metadata: [
        "child_status": "\(outcome.childStatus)", "exit_status": .stringConvertible(outcome.exitStatus),
    ])
    return outcome.exitStatus
}

