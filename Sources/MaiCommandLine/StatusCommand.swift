import ArgumentParser
import Glibc
import Logging
import MaiDatabase
import MaiLogging
import MaiSystem

/// `mai-entrypoint status`: what initialization left, read without writing or locking anything.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print the usage-tracking schema version, this instance's organization (key masked) and the usage tables' row counts.",
        discussion: "Read-only. EXIT STATUS: 0, or 1 when the database cannot be read; 2 for a usage error.")

    @OptionGroup var logging: LoggingOptions
    @OptionGroup var environmentFiles: EnvironmentFileOptions

    func run() throws {
        let environment = OptionEnvironment(processEnvironment())
        bootstrapLogging(try logging.settings(environment))
        let logger = Logger(label: "mai-entrypoint")
        let loaded = try environmentFiles.load(environment, processEnvironment: currentEnvironment(), logger: logger)
        let variables = environmentDictionary(loaded.environment)
        let organizationID = variables["OPENROUTER_EXTERNAL_USER"].flatMap { $0.isEmpty ? nil : $0 }
        do {
            let report = try readStatus(try DatabaseLocation.resolve(variables), organizationID: organizationID)
            for line in report.lines { EntryPoint.writeLine(LogRedaction.redact(line), to: STDOUT_FILENO) }
        } catch {
            logger.error("cannot read the usage-tracking status: \(error)")
            throw ExitCode(1)
        }
    }
}
