import ArgumentParser
import Logging
import MaiOpenWebUI
import MaiSQL
import MaiSystem
import MaiUsageTracking

/// How the usage-tracking initialization ended, as its callers (the run, `init-db`) act on it.
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

/// Runs the usage-tracking initialization, every wait listening for TERM and INT through `stop`.
/// `scripts` are the installed app's migration scripts: they say whether the app makes the usage tables.
/// `location` is the database Open WebUI uses with `environment`, as the caller resolved it.
func runUsageTrackingInitialization(environment: [String: String], location: Result<DatabaseLocation, DatabaseError>,
                                    options: DatabaseSettings, scripts: MigrationScripts?, timing: AppSchemaTiming,
                                    stop: StopRequests, logger: Logger) -> InitializationResult {
    var step = UsageTrackingInitialization(environment: environment, location: location, policy: options.policy,
                                           logger: logger, stop: stop)
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

/// The run's step before the server starts: a failure is logged and the server starts anyway, unless tracking
/// is required. When the organization is still to be recorded after the app's own migrations
/// (`.waitingForApp`), the supervisor gets the follow-up child that does it.
extension StartStep {
    static let initializeUsageTracking = StartStep(name: "initialize usage tracking") { state throws(StepEnd) in
        let variables = state.server.environment.values
        let options = state.settings.database
        let scripts = UsageTrackingConfiguration(environment: variables).isConfigured
            ? state.scripts.read(otherwise: "the usage tables are made before the server starts", missing: .debug) : nil
        let result = runUsageTrackingInitialization(environment: variables, location: state.resolvedLocation,
                                                    options: options, scripts: scripts, timing: .beforeServer,
                                                    stop: state.stop, logger: state.logger)
        switch result {
        case .initialized:
            return
        case .waitingForApp:
            state.configuration.followUp = UsageTrackingFollowUp.task(settings: state.settings, environment: state.server.environment)
        case .stopped(let signal):
            throw .stopped(signal, during: "during usage-tracking initialization")
        case .skipped, .failed:
            if options.required { throw .failed("not starting the server: usage tracking is required (--init-required)") }
            if result == .failed { state.logger.warning("starting the server without usage tracking") }
        }
    }
}
