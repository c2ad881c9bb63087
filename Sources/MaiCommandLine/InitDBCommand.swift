import ArgumentParser
import Logging
import MaiLogging
import MaiSupervision
import MaiSystem

/// `mai-entrypoint init-db`: only the usage-tracking initialization, for `docker exec` after fixing a setting.
struct InitDBCommand: ParsableCommand {
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

    func run() throws {
        let environment = OptionEnvironment(processEnvironment())
        bootstrapLogging(try logging.settings(environment))
        let inbox = try SignalInbox()
        let settings = try database.settings(environment)
        let logger = Logger(label: "mai-entrypoint")
        let loaded = try environmentFiles.load(environment, processEnvironment: currentEnvironment(), logger: logger)
        let result = initializeUsageTracking(environment: environmentDictionary(loaded.environment), options: settings,
                                             inbox: inbox, logger: logger)
        switch result {
        case .initialized: return
        case .stopped(let signal): throw ExitCode(128 + signal.rawValue)
        case .skipped, .failed: throw ExitCode(1)
        }
    }
}
