import ArgumentParser
import Glibc
import Logging
import MaiDataDirectory
import MaiEnvironment
import MaiLogging
import MaiOpenWebUI
import MaiSQL
import MaiSupervision
import MaiSystem
import MaiUsageTracking

/// `mai-entrypoint move-to-postgresql`: every row of Open WebUI's SQLite database, and of the usage tables, into
/// a PostgreSQL database that holds Open WebUI's schema at the same revision; verified, all or nothing.
struct MoveToPostgresCommand: StartedCommand {
    static let configuration = CommandConfiguration(
        commandName: "move-to-postgresql",
        abstract: "Copy webui.db (every Open WebUI and usage table) into PostgreSQL, in one transaction, verified.",
        discussion: """
            The source is the SQLite database Open WebUI uses (the same env files, DATA_DIR and DATABASE_URL rule as \
            the run); it is read, never written, and refused while a mai-entrypoint run holds its folder. The target \
            must hold Open WebUI's schema at the same Alembic revision, made by Open WebUI's own migrations: \
            --bootstrap -- COMMAND makes it by running the server COMMAND with DATABASE_URL set to the target until \
            it is ready (the run's --health-url and PORT), then stopping it. A target that holds users is refused \
            unless --replace. Values are converted by the target column's type; invalid JSON is an error that names \
            its row. After the copy, every table's row count and content digest are compared on both sides.

            EXIT STATUS: 0 moved and verified; 1 refused or failed (nothing was written to the target); 2 for a \
            usage error; 130 or 143 when stopped by INT or TERM (rolled back).
            """)

    @OptionGroup var logging: LoggingOptions
    @OptionGroup var environmentFiles: EnvironmentFileOptions
    @OptionGroup var readiness: ReadinessOptions

    @Option(name: .long, help: ArgumentHelp("The target database, postgresql://USER:PASSWORD@HOST:PORT/DB (a +driver suffix is accepted).", valueName: "URL"))
    var to: String?

    @Option(name: .customLong("to-file"), help: ArgumentHelp("A file holding the target's URL (a Docker or Kubernetes secret).", valueName: "PATH"))
    var toFile: String?

    @Flag(help: "Empty the target's Open WebUI and usage tables first, in the same transaction (a target that holds users is refused otherwise).")
    var replace = false

    @Flag(help: "When the target has no Open WebUI schema, make it by running the server command given after -- until it is ready.")
    var bootstrap = false

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The server command for --bootstrap.", valueName: "COMMAND"))
    var command: [String] = []

    func validate() throws {
        guard (to == nil) != (toFile == nil) else { throw ValidationError("give the target with exactly one of --to URL and --to-file PATH") }
        guard bootstrap == !command.isEmpty else {
            throw ValidationError(bootstrap ? "--bootstrap needs the server command after --" : "a command after -- is only for --bootstrap")
        }
    }

    func execute(_ context: StartContext) throws {
        let (loaded, options, ignored) = try environmentFiles.loadWithOptions(context.environment)
        bootstrapLogging(try logging.settings(options))
        let logger = Logger(label: "mai-entrypoint")
        EnvironmentFileOptions.logLoaded(loaded, ignored: ignored, to: logger)
        let targetURL = try failing { try readTargetURL() }
        var variables = loaded.environment.values
        variables["DATABASE_URL"] = targetURL
        installSecretRedaction(variables)
        let target = try targetLocation(targetURL, loaded.environment.values)
        let sourcePath = try failing { try sourceDatabase(loaded.environment.values) }
        let locks = try failing { try lockedFolders(databasePath: sourcePath, dataDirectory: OpenWebUIDatabase.dataDirectory(loaded.environment.values)).map { try lockOrRefuse($0, "move") } }
        let stop = StopRequests.listening(to: context.inbox)
        let settings = try readiness.settings(options)
        try failing { try ensureSchema(target, url: targetURL, environment: loaded.environment, readiness: settings, context: context, stop: stop, logger: logger) }
        let report = try withExtendedLifetime(locks) { try move(from: sourcePath, to: target, stop: stop) }
        printReport(report, source: sourcePath, target: target)
    }

    private func readTargetURL() throws -> String {
        if let to { return to }
        guard let toFile else { return "" }
        do {
            let bytes = try readFile(toFile, limit: 64 * 1024)
            let text = String(decoding: bytes, as: UTF8.self)
            // A secret file ends with one newline at most (echo, kubectl create secret --from-file).
            return text.hasSuffix("\r\n") ? String(text.dropLast(2)) : text.hasSuffix("\n") ? String(text.dropLast()) : text
        } catch {
            throw CommandFailure("--to-file \(toFile): \(error)")
        }
    }

    /// The target as Open WebUI will read it once DATABASE_URL is set to it: the DATABASE_* parts would win over
    /// the URL in Open WebUI, and are the source's, so they are left out; DATABASE_SCHEMA stays.
    private func targetLocation(_ url: String, _ environment: [String: String]) throws -> PostgresTarget {
        var variables = environment.filter { !OpenWebUIDatabase.partVariables.contains($0.key) }
        variables["DATABASE_URL"] = url
        guard case .postgres(let target)? = try? DatabaseLocation.resolve(variables) else {
            throw UsageError("--to\(toFile == nil ? "" : "-file"): not a PostgreSQL URL (postgresql://USER:PASSWORD@HOST:PORT/DB)")
        }
        return target
    }

    private func sourceDatabase(_ environment: [String: String]) throws -> String {
        let database = OpenWebUIDatabase.resolve(environment)
        guard case .sqlite(let path) = try DatabaseLocation.locate(database) else {
            throw CommandFailure("Open WebUI's database is already PostgreSQL (\(database.maskedURL)): nothing to move; DATA_DIR's webui.db is found when DATABASE_URL is unset")
        }
        guard access(path, F_OK) == 0 else { throw CommandFailure("no \(path): nothing to move (DATA_DIR or DATABASE_URL names the database Open WebUI uses)") }
        return path
    }

    private func ensureSchema(_ target: PostgresTarget, url: String, environment: EnvironmentBlock, readiness: ReadinessSettings,
                              context: StartContext, stop: StopRequests, logger: Logger) throws {
        let connection = try PostgresConnection(target: target, timeout: .seconds(30), stop: stop)
        guard try DatabaseMove.targetRevisions(connection) == nil else { return }
        guard bootstrap else {
            throw CommandFailure("\(target.display) has no Open WebUI schema: Open WebUI's own migrations make it; run this command with --bootstrap -- followed by the server command (as in the image: open-webui serve, or start.sh), or start Open WebUI once with DATABASE_URL set to the target and stop it, then run this command again")
        }
        logger.info("making Open WebUI's schema in \(target.display): starting the server until it is ready")
        let outcome = try runBootstrap(url: url, environment: environment, readiness: readiness, inbox: context.inbox, logger: logger)
        let again = try PostgresConnection(target: target, timeout: .seconds(30), stop: stop)
        guard try DatabaseMove.targetRevisions(again) != nil else {
            throw CommandFailure("the server command ended (\(outcome.childStatus)) without making Open WebUI's schema in \(target.display); its lines above say why")
        }
        logger.info("Open WebUI's schema made in \(target.display); the server was stopped (\(outcome.childStatus)), the move begins")
    }

    /// The server command with DATABASE_URL set to the target (the DATABASE_* parts, the source's, left out), until
    /// it is ready, then stopped as a TERM would stop it; its output goes to stderr, the report's stdout stays
    /// the report's. A TERM or INT from outside ends the command (128+N), nothing moved.
    private func runBootstrap(url: String, environment: EnvironmentBlock, readiness: ReadinessSettings, inbox: SignalInbox,
                              logger: Logger) throws -> SupervisionOutcome {
        var configuration = SupervisorConfiguration()
        configuration.environment = environment.removing(OpenWebUIDatabase.partVariables).setting([("DATABASE_URL", url)])
        configuration.readiness = try readiness.configuration(port: environment.values["PORT"])
        guard configuration.readiness != nil else { throw UsageError("--bootstrap needs the health URL (--health-url off cannot tell when the schema is made)") }
        configuration.stopWhenReady = true
        configuration.stopTimeout = .seconds(20)
        configuration.outputToStandardError = true
        _ = try Supervisor.prepareReaping()
        var supervisor = Supervisor(configuration: configuration, inbox: inbox, logger: logger)
        let outcome: SupervisionOutcome
        do {
            outcome = try supervisor.run(command.map { Array($0.utf8) })
        } catch let error as SpawnError {
            throw CommandFailure("--bootstrap: \(error.description)")
        }
        if let signal = supervisor.stopRequest { throw ExitCode(signal.exitStatus) }
        return outcome
    }

    private func move(from sourcePath: String, to target: PostgresTarget, stop: StopRequests) throws -> MoveReport {
        let progress = MoveProgress(logger: Logger(label: "mai-entrypoint"))
        do {
            let source = try SQLiteConnection(path: sourcePath, mode: .readOnly, busyTimeout: .seconds(5), stop: stop)
            let connection = try PostgresConnection(target: target, timeout: .seconds(30), stop: stop)
            return try DatabaseMove(replace: replace, stop: stop, progress: { progress.report($0) }).run(from: source, to: connection)
        } catch let error as MoveError {
            progress.finish()
            if let signal = error.interruption {
                Logger(label: "mai-entrypoint").warning("move stopped by \(signal): rolled back, the target is as it was")
                throw ExitCode(signal.exitStatus)
            }
            EntryPoint.fail(error.description, status: 1)
        } catch let error as DatabaseError {
            if case .interrupted(let signal) = error { throw ExitCode(signal.exitStatus) }
            EntryPoint.fail(error.description, status: 1)
        }
    }

    private func printReport(_ report: MoveReport, source: String, target: PostgresTarget) {
        let width = max(5, report.tables.map(\.name.count).max() ?? 0)
        EntryPoint.printLine(pad("table", width) + "  " + leftPad("rows", 10) + "  digest")
        for table in report.tables {
            EntryPoint.printLine(pad(table.name, width) + "  " + leftPad(String(table.rows), 10) + "  " + table.digest + "  ok")
        }
        let copy = report.copyDuration.secondsText, verify = report.verifyDuration.secondsText
        EntryPoint.printLine("moved \(report.rows) rows in \(report.tables.count) tables from \(source) to \(target.display): copied in \(copy) s, verified in \(verify) s (row counts and digests equal on both sides)")
        if report.compressedWithLZ4 {
            EntryPoint.printLine("large values (chat JSON) were stored with lz4 TOAST compression, twice as fast as the default pglz to write; they read back the same")
        }
        if !report.emptied.isEmpty {
            EntryPoint.printLine("replaced what the target held: " + report.emptied.map { "\($0.1) rows in \($0.0)" }.joined(separator: ", "))
        }
        EntryPoint.printLine("next: set DATABASE_URL to the target (in the env file or the compose file, as a secret file with DATABASE_URL_FILE), start the server with the same WEBUI_SECRET_KEY and image, and check it; keep \(source) until you have verified the server on PostgreSQL")
    }
}

/// Progress on stderr: a live line on a terminal, otherwise a log line (in the log format, JSON included) when
/// the copy starts and one every 5 s (rows per table, rate).
final class MoveProgress {
    private let logger: Logger
    private let live: Bool
    private var started = MonotonicInstant.now()
    private var lastLine: MonotonicInstant?
    private var total = 0
    private var showing = false

    init(logger: Logger) {
        self.logger = logger
        live = isatty(STDERR_FILENO) == 1 && KnownLogSettings.value?.format != .json
    }

    func report(_ event: DatabaseMove.Event) {
        switch event {
        case .started(let tables, let rows):
            started = .now()
            total = rows
            write("moving \(rows) rows in \(tables) tables", final: true)
        case .copied(let table, let rows, let ofRows, let moved):
            let now = MonotonicInstant.now()
            let interval: Duration = live ? .milliseconds(200) : .seconds(5)
            guard (lastLine ?? started).duration(to: now) >= interval else { return }
            lastLine = now
            let seconds = max(0.001, started.duration(to: now).totalSeconds)
            let rate = "\(Int(Double(moved.rows) / seconds)) rows/s, \(megabytes(Double(moved.bytes) / seconds)) MB/s"
            write("moving \(table): \(rows)/\(ofRows) rows; \(moved.rows)/\(total) rows (\(megabytes(Double(moved.bytes))) MB) in all, \(rate)", final: false)
        case .verifying:
            write("verifying: row counts and digests of every table", final: true)
        }
    }

    /// Ends a live line that a failure line is about to follow.
    func finish() { if showing { try? writeAll(STDERR_FILENO, "\n") } }

    private func write(_ text: String, final: Bool) {
        guard live else { return logger.info("\(text)") }
        try? writeAll(STDERR_FILENO, "\r\u{1B}[K" + escapingControlCharacters(LogRedaction.redact(text)) + (final ? "\n" : ""))
        showing = !final
    }
}

/// Megabytes with one decimal.
private func megabytes(_ bytes: Double) -> String {
    let tenths = Int((bytes / 100_000).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}

private func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
private func leftPad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
