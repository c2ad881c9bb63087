import ArgumentParser
import Logging
import MaiLogging
import MaiOpenWebUI
import MaiSQL
import MaiSystem
import MaiUsageTracking

/// `mai-entrypoint init-db`: only the usage-tracking initialization, for `docker exec` after fixing a setting.
struct InitDBCommand: StartedCommand {
    static let configuration = CommandConfiguration(
        commandName: "init-db",
        abstract: "Create or migrate the usage-tracking schema and record this instance's organization, then exit.",
        discussion: """
            Reads the same variables as the main run (OPENROUTER_EXTERNAL_USER, ORGANIZATION_NAME, OPENROUTER_API_KEY,
            DATABASE_URL or DATABASE_*, DATA_DIR) and retries as it does; --init-required changes nothing here.

            EXIT STATUS: 0 when initialized; 1 when it failed or usage tracking is not configured;
            130 or 143 when stopped by INT or TERM; 2 for a usage error.
            """)

    @OptionGroup var logging: LoggingOptions
    @OptionGroup var environmentFiles: EnvironmentFileOptions
    @OptionGroup var database: DatabaseOptions

    @OptionGroup var openWebUI: OpenWebUIDirectoryOption

    /// The supervisor's follow-up (`UsageTrackingFollowUp`): the environment is already resolved (no env file
    /// is read again), and the app's tables are waited for until --init-timeout.
    @Flag(name: .customLong("after-app-migrations"), help: .private)
    var afterAppMigrations = false

    /// Signals stay blocked: every wait listens for TERM and INT on the inbox, and ends with 128+N.
    func execute(_ context: StartContext) throws {
        let (variables, options, logger) = try prepare(context)
        let settings = try database.settings(options)
        let dataSafety = openWebUI.settings(options)
        let scripts = UsageTrackingConfiguration(environment: variables).isConfigured
            ? installedMigrationScripts(given: dataSafety.openWebUIDirectory, logger: logger, otherwise: "the usage tables are made now", missing: .debug) : nil
        let location = Result { () throws(DatabaseError) in try DatabaseLocation.resolve(variables) }
        let result = runUsageTrackingInitialization(environment: variables, location: location, options: settings,
                                                    scripts: scripts,
                                                    timing: afterAppMigrations ? .afterAppMigrations : .standalone,
                                                    stop: .listening(to: context.inbox), logger: logger)
        switch result {
        case .initialized: return
        case .stopped(let signal): throw ExitCode(signal.exitStatus)
        case .waitingForApp, .skipped, .failed: throw ExitCode(1)
        }
    }

    private func prepare(_ context: StartContext) throws -> (variables: [String: String], options: OptionEnvironment, logger: Logger) {
        if afterAppMigrations {
            let options = OptionEnvironment(context.environment)
            bootstrapLogging(try logging.settings(options))
            return (context.environment.values, options, Logger(label: "mai-entrypoint"))
        }
        let (loaded, options, ignored) = try environmentFiles.loadWithOptions(context.environment)
        bootstrapLogging(try logging.settings(options))
        let logger = Logger(label: "mai-entrypoint")
        EnvironmentFileOptions.logLoaded(loaded, ignored: ignored, to: logger)
        return (loaded.environment.values, options, logger)
    }
}
