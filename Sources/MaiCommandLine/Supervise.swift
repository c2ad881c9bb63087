import Glibc
import Logging
import MaiSupervision
import MaiSystem

public let programVersion = "0.1.0"

/// The main job: prepare reaping and signals, run the child, report how it ended. Returns the exit status.
func superviseCommand(_ command: [String], configuration: SupervisorConfiguration) throws -> Int32 {
    let logger = Logger(label: "mai-entrypoint")
    let inbox = try SignalInbox()
    let mode = try Supervisor.prepareReaping()
    logger.info("starting", metadata: ["version": "\(programVersion)", "pid": .stringConvertible(getpid()), "mode": "\(mode)"])
    var supervisor = Supervisor(configuration: configuration, inbox: inbox, logger: logger)
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

func processEnvironment() -> [String: String] {
    var values: [String: String] = [:]
    for entry in currentEnvironment() {
        guard let equals = entry.firstIndex(of: "=") else { continue }
        values[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
    }
    return values
}
