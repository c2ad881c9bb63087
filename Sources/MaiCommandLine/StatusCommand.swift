import ArgumentParser
import Glibc
import Logging
import MaiLogging
import MaiOpenWebUI
import MaiSQL
import MaiSystem
import MaiUsageTracking

/// `mai-entrypoint status`: what initialization left, read without writing or locking anything.
struct StatusCommand: StartedCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print the usage-tracking schema version, this instance's organization (key masked) and the usage tables' row counts.",
        discussion: "Read-only. EXIT STATUS: 0, or 1 when the database cannot be read; 2 for a usage error.")

    @OptionGroup var logging: LoggingOptions
    @OptionGroup var environmentFiles: EnvironmentFileOptions

    @OptionGroup var openWebUI: OpenWebUIDirectoryOption

    func execute(_ context: StartContext) throws {
        let (loaded, options, ignored) = try environmentFiles.loadWithOptions(context.environment)
        let logSettings = try logging.settings(options)
        bootstrapLogging(logSettings)
        let logger = Logger(label: "mai-entrypoint")
        EnvironmentFileOptions.logLoaded(loaded, ignored: ignored, to: logger)
        let variables = loaded.environment.values
        let organizationID = variables["OPENROUTER_EXTERNAL_USER"].flatMap { $0.isEmpty ? nil : $0 }
        // Which database first, before anything can fail: the URL and schema Open WebUI itself uses.
        let database = OpenWebUIDatabase.resolve(variables)
        let json = logSettings.format == .json
        // The scale-out verdicts next: they need no database.
        let location = try? DatabaseLocation.locate(database)
        let scaleOut = ScaleOutChecklist(variables, location: location, dataDirectory: OpenWebUIDatabase.dataDirectory(variables),
                                         mountinfo: readMountInfo()).statusLine
        for line in json ? database.fields.map(jsonLine) + [jsonLine(scaleOut)] : database.lines + [scaleOut] {
            EntryPoint.printLine(line)
        }
        let dataSafety = openWebUI.settings(options)
        let scripts = installedMigrationScripts(given: dataSafety.openWebUIDirectory, logger: logger, otherwise: "", missing: .debug)
        do {
            let location = try DatabaseLocation.locate(database)
            let lines: [String]
            if case .sqlite(let path) = location, access(path, F_OK) != 0, let revision = scripts?.usageTablesRevision {
                lines = [StatusReport.pendingLine(revision)]  // the app has not even made its database yet
            } else {
                lines = try readStatus(location, organizationID: organizationID, scripts: scripts).lines
            }
            for line in lines { EntryPoint.printLine(json ? jsonLine(line) : line) }
        } catch {
            logger.error("cannot read the usage-tracking status: \(error)")
            throw ExitCode(1)
        }
    }
}

/// `{"name":"value"}`: one status line as a JSON object, for `--log-format json`.
private func jsonLine(_ field: (name: String, value: String)) -> String {
    "{\(jsonString(field.name)):\(jsonString(field.value))}"
}

/// A report line `name: value` as `{"name":"value"}`.
private func jsonLine(_ line: String) -> String {
    guard let separator = line.firstRange(of: ": ") else { return jsonLine((name: "status", value: line)) }
    return jsonLine((name: String(line[..<separator.lowerBound]), value: String(line[separator.upperBound...])))
}
