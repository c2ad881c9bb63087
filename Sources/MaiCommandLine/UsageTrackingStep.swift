import ArgumentParser
import Glibc
import Logging
import MaiDatabase
import MaiSystem

/// How the start-up step ended, as the caller acts on it.
enum InitializationResult: Equatable {
    case initialized
    /// The app's own migration makes the usage tables when the server starts: a follow-up run records the
    /// organization after it (see `UsageTrackingFollowUp`).
    case waitingForApp
    /// Not configured, or only partly: the server starts without tracking.
    case skipped
    case failed
    /// A TERM or INT arrived: nothing more is started.
    case stopped(Signal)
}

/// Runs the usage-tracking initialization with every wait listening for TERM and INT on the inbox.
/// `scripts` are the installed app's migration scripts: they say whether the app makes the usage tables.
func initializeUsageTracking(environment: [String: String], options: DatabaseSettings, scripts: MigrationScripts?,
                             timing: AppSchemaTiming, inbox: SignalInbox, logger: Logger) -> InitializationResult {
    let stop = StopRequests { timeout in waitForStop(inbox, timeout) }
    var step = UsageTrackingInitialization(environment: environment, policy: options.policy, logger: logger, stop: stop)
    step.scripts = scripts
    step.timing = timing
    switch step.run() {
    case .initialized: return .initialized
    case .waitingForApp: return .waitingForApp
    case .skipped: return .skipped
    case .failed(.stopped(let signal)): return .stopped(signal)
    case .failed: return .failed
    }
}

/// A wait on the inbox; if reading it fails the wait still lasts its time, so retries never spin.
func waitForStop(_ inbox: SignalInbox, _ timeout: Duration) -> Signal? {
    do {
        return try inbox.waitForStopRequest(timeout: timeout)
    } catch {
        sleepFor(timeout)
        return nil
    }
}

/// The main run's step before the server starts: a failure is logged and the server starts anyway, unless
/// tracking is required; a stop request ends the program with 128+N before any child exists. Returns whether
/// the organization is still to be recorded after the app's own migrations (`.waitingForApp`).
func initializeBeforeStart(environment: [String: String], options: DatabaseSettings, scripts: MigrationScripts?,
                           inbox: SignalInbox) throws(ExitCode) -> Bool {
    let logger = Logger(label: "mai-entrypoint")
    let result = initializeUsageTracking(environment: environment, options: options, scripts: scripts,
                                         timing: .beforeServer, inbox: inbox, logger: logger)
    switch result {
    case .initialized:
        return false
    case .waitingForApp:
        return true
    case .stopped(let signal):
        logger.warning("not starting the server: stopped by \(signal) during usage-tracking initialization")
        throw ExitCode(128 + signal.rawValue)
    case .skipped, .failed:
        if options.required {
            logger.error("not starting the server: usage tracking is required (--init-required)")
            throw ExitCode(1)
        }
        if result == .failed { logger.warning("starting the server without usage tracking") }
        return false
    }
}
