import ArgumentParser
import Logging
import MaiLogging
import MaiSystem

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

    /// Signals stay blocked: every wait listens for TERM and INT on the inbox, and ends with 128+N.
    func execute(_ context: StartContext) throws {
        let (loaded, options, ignored) = try environmentFiles.loadWithOptions(context.environment)
        let settings = try database.settings(options)
        bootstrapLogging(try logging.settings(options))
        let logger = Logger(label: "mai-entrypoint")
        EnvironmentFileOptions.logLoaded(loaded, ignored: ignored, to: logger)
        let result = initializeUsageTracking(environment: loaded.environment.values, options: settings,
                                             inbox: context.inbox, logger: logger)
        switch result {
        case .initialized: return
        case .stopped(let signal): throw ExitCode(128 + signal.rawValue)
        case .skipped, .failed: throw ExitCode(1)
        }
    }
}
