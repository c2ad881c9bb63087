import Logging
import MaiSystem

/// The follow-up: a step run beside the server once it has settled (usage tracking after the app's own
/// migrations), and what its failure does to the run.
extension Supervisor {
    mutating func startFollowUp() {
        guard let task = configuration.followUp, followUp == 0, !requiredFollowUpFailed, sequence.childStatus == nil,
              sequence.stopSignal == nil else { return }
        var options = SpawnOptions(environment: task.environment)
        // The server's group keeps the terminal: the follow-up reads nothing from it.
        options.takeTerminalForeground = false
        do {
            followUp = try spawnProcess(task.command, options: options)
            logger.debug("follow-up started", metadata: ["pid": .stringConvertible(followUp)])
        } catch {
            logger.error("cannot start the usage-tracking step after the app's migrations: \(error.description)")
            followUpEnded(.exited(error.exitStatus), task)
        }
    }

    mutating func followUpReaped(_ status: ExitStatus) {
        followUp = 0
        guard let task = configuration.followUp else { return }
        logger.debug("follow-up exited", metadata: ["status": "\(status)"])
        followUpEnded(status, task)
    }

    /// A follow-up that failed, with --init-required, stops the server as a TERM would; the run then exits 1.
    /// One stopped by our own stop says nothing: the stop is what happened.
    mutating func followUpEnded(_ status: ExitStatus, _ task: SupervisorConfiguration.FollowUp) {
        guard status != .exited(0), sequence.stopSignal == nil, sequence.childStatus == nil else { return }
        guard task.required else {
            logger.warning("the server goes on without usage tracking")
            return
        }
        requiredFollowUpFailed = true
        logger.error("stopping the server: usage tracking is required (--init-required) and was not initialized after the app's migrations")
        perform(transition { $0.stopRequested(.terminate, now: .now()) })
    }

    /// A required follow-up that failed makes the run exit 1, whatever the server's status.
    func outcome() -> SupervisionOutcome {
        let outcome = sequence.outcome(cleanStopStatus: configuration.cleanStopStatus)
        guard requiredFollowUpFailed else { return outcome }
        return SupervisionOutcome(childStatus: outcome.childStatus, reason: outcome.reason, exitStatus: 1)
    }
}
