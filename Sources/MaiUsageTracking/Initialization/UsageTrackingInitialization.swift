import Logging
import MaiRedaction
import MaiSQL
import MaiSystem

/// When the usage tables are the app's to make (its own migration creates them, see
/// `MigrationScripts.usageTablesRevision`) and the database has not run that migration yet, what to do.
public enum AppSchemaTiming: Equatable, Sendable {
    /// Before the server starts: set aside any tables of ours that would break the app's migration, and
    /// report `.waitingForApp`; the organization is recorded by a run `.afterAppMigrations`.
    case beforeServer
    /// While the server starts: wait (retry) until the app's migration has run, then initialize.
    case afterAppMigrations
    /// `init-db` on its own: say that the app has not made its tables yet, and fail.
    case standalone
}

/// What the installed app says of the usage tables when its own migration makes them: in this database, the
/// revision of that migration while it has not run yet; nil once it has, or when the app makes no usage tables.
public protocol AppUsageTablesMigration {
    func usageTablesPending(in connection: any SQLConnection) throws(DatabaseError) -> String?
}

/// The whole step: decide whether tracking is configured, create or migrate the schema in the database Open WebUI
/// uses and record the organization, retrying what is worth retrying. It logs its own outcome in one line.
public struct UsageTrackingInitialization {
    public let environment: [String: String]
    /// The database, as the caller found it from the same environment; an unusable one is this step's failure.
    public let location: Result<DatabaseLocation, DatabaseError>
    public let policy: RetryPolicy
    public let logger: Logger
    public let stop: StopRequests
    /// The installed app's migration scripts, when found: they say whether the app makes the usage tables.
    public var scripts: (any AppUsageTablesMigration)?
    public var timing = AppSchemaTiming.beforeServer
    /// The longest single wait for a lock, so that a retry (and its log line) follows a held lock.
    public var lockTimeout: Duration = .seconds(2)
    public var random: () -> Double = { Double.random(in: 0..<1) }
    public var now: () -> InstantText = { InstantText.now() }

    public init(environment: [String: String], location: Result<DatabaseLocation, DatabaseError>, policy: RetryPolicy,
                logger: Logger, stop: StopRequests) {
        self.environment = environment
        self.location = location
        self.policy = policy
        self.logger = logger
        self.stop = stop
    }

    public func run() -> InitializationOutcome {
        let configuration = UsageTrackingConfiguration(environment: environment)
        guard case .configured(let organization) = configuration else {
            logSkip(configuration)
            return .skipped(configuration)
        }
        do {
            let location = try resolveLocation()
            switch try initialize(organization, at: location) {
            case .initialized(let report):
                logger.info("Usage tracking initialized for \(organization.name) (\(report.change); schema v\(report.schema.version))",
                            metadata: location.logMetadata)
                return .initialized(report)
            case .waitingForApp(let revision, let setAside):
                logWaiting(for: revision, setAside: setAside, location: location)
                return .waitingForApp(revision: revision)
            }
        } catch {
            logFailure(error, redactor: databaseSecretRedactor(environment))
            return .failed(error)
        }
    }

    private func resolveLocation() throws(InitializationFailure) -> DatabaseLocation {
        do {
            return try location.get()
        } catch {
            throw .permanent(error)
        }
    }

    private enum Attempt {
        case initialized(InitializationReport)
        case waitingForApp(revision: String, setAside: [(table: String, rows: Int64)])
    }

    private func initialize(_ organization: OrganizationSettings,
                            at location: DatabaseLocation) throws(InitializationFailure) -> Attempt {
        var retrier = Retrier(policy: policy, logger: logger, stop: stop)
        retrier.random = random
        retrier.redactor = databaseSecretRedactor(environment)
        return try retrier.run { remaining throws(DatabaseError) in
            try attempt(organization, at: location, remaining: remaining)
        }
    }

    /// One attempt from connecting to committing; a retry starts again from a fresh connection. The
    /// migrations, the rows carried back from set-aside tables and the organization commit in one transaction:
    /// all of it, or nothing. When the app's own migration is still to make the tables, nothing of ours is
    /// created before it (its `create_table` would fail on them): see `AppSchemaTiming`.
    private func attempt(_ organization: OrganizationSettings, at location: DatabaseLocation,
                         remaining: Duration) throws(DatabaseError) -> Attempt {
        let connection = try openDatabase(location, mode: .readWrite, timeout: min(lockTimeout, remaining), stop: stop)
        let migrator = Migrator(connection: connection, stop: stop, now: { now().iso8601 })
        let attempt = try connection.transaction { () throws(DatabaseError) -> Attempt in
            if let revision = try scripts?.usageTablesPending(in: connection) {
                guard timing == .beforeServer else {
                    throw .appTablesPending(revision: revision, transient: timing == .afterAppMigrations)
                }
                return .waitingForApp(revision: revision, setAside: try SetAsideTables.setAside(AppUsageTables.all, connection))
            }
            let migrations = try migrator.migrateInTransaction()
            let carried = try SetAsideTables.carryBack(connection, now: now())
            try stop.check()
            let change = try OrganizationRecord.save(organization, on: connection, now: now())
            return .initialized(InitializationReport(organization: organization, change: change, schema: migrations.state,
                                                     migrationLines: migrations.applied, deferred: migrations.deferred,
                                                     carried: carried.map { "\($0.rows) from \(SetAsideTables.name($0.table)) into \($0.table)" }))
        }
        // Written once committed: no line reports a change that was rolled back.
        if case .initialized(let report) = attempt {
            for line in report.migrationLines { logger.info("\(line)") }
            if !report.carried.isEmpty {
                logger.info("Usage rows carried into the app's tables: \(report.carried.joined(separator: ", ")) (ids as text, timestamps as epoch seconds); the set-aside tables were dropped after the copy; the app starts a second row for today")
            }
            if let deferred = report.deferred { logger.warning("\(deferred)") }
        }
        return attempt
    }

    private func logWaiting(for revision: String, setAside: [(table: String, rows: Int64)], location: DatabaseLocation) {
        if !setAside.isEmpty {
            let tables = setAside.map { "\($0.table) (\($0.rows) rows) as \(SetAsideTables.name($0.table))" }
            logger.info("Usage tables set aside for the app's migration \(revision), which creates them: \(tables.joined(separator: ", ")); their rows are carried back once it has run")
        }
        logger.info("Usage tracking waits for the app's schema: Open WebUI's migration \(revision) creates the usage tables; the organization is recorded once the server has run it",
                    metadata: location.logMetadata)
    }

    private func logSkip(_ configuration: UsageTrackingConfiguration) {
        if case .incomplete(let missing) = configuration {
            logger.warning("Usage tracking not configured: \(missing.joined(separator: ", ")) unset; skipping")
        } else {
            logger.info("Usage tracking not configured (OPENROUTER_EXTERNAL_USER, ORGANIZATION_NAME unset); skipping")
        }
    }

    private func logFailure(_ failure: InitializationFailure, redactor: SecretRedactor) {
        if case .stopped(let signal) = failure {
            logger.warning("Usage tracking initialization stopped by \(signal)")
        } else {
            logger.error("Usage tracking initialization failed: \(redactor.redact(failure.description))")
        }
    }
}
