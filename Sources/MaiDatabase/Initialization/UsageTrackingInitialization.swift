import MaiEnvironment
import Logging
import MaiSystem

/// The whole step: decide whether tracking is configured, find the database, create or migrate the schema and
/// record the organization, retrying what is worth retrying. It logs its own outcome in one line.
public struct UsageTrackingInitialization {
    public let environment: [String: String]
    public let policy: RetryPolicy
    public let logger: Logger
    public let stop: StopRequests
    /// The longest single wait for a lock, so that a retry (and its log line) follows a held lock.
    public var lockTimeout: Duration = .seconds(2)
    public var random: () -> Double = { Double.random(in: 0..<1) }
    public var now: () -> String = { WallClockTime.now().iso8601 }

    public init(environment: [String: String], policy: RetryPolicy, logger: Logger, stop: StopRequests) {
        self.environment = environment
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
            let report = try initialize(organization, at: location)
            logger.info("Usage tracking initialized for \(organization.name) (\(report.change); schema v\(report.schema.version))",
                        metadata: location.logMetadata)
            return .initialized(report)
        } catch {
            logFailure(error, redactor: databaseSecretRedactor(environment))
            return .failed(error)
        }
    }

    private func resolveLocation() throws(InitializationFailure) -> DatabaseLocation {
        do {
            return try DatabaseLocation.resolve(environment)
        } catch {
            throw .permanent(error)
        }
    }

    private func initialize(_ organization: OrganizationSettings,
                            at location: DatabaseLocation) throws(InitializationFailure) -> InitializationReport {
        var retrier = Retrier(policy: policy, logger: logger, stop: stop)
        retrier.random = random
        retrier.redactor = databaseSecretRedactor(environment)
        return try retrier.run { remaining throws(DatabaseError) in
            try attempt(organization, at: location, remaining: remaining)
        }
    }

    /// One attempt from connecting to committing; a retry starts again from a fresh connection. The
    /// migrations and the organization commit in one transaction: all of it, or nothing.
    private func attempt(_ organization: OrganizationSettings, at location: DatabaseLocation,
                         remaining: Duration) throws(DatabaseError) -> InitializationReport {
        let connection = try openDatabase(location, mode: .readWrite, timeout: min(lockTimeout, remaining), stop: stop)
        let migrator = Migrator(connection: connection, stop: stop, now: now)
        let (migrations, change) = try connection.transaction { () throws(DatabaseError) in
            let migrations = try migrator.migrateInTransaction()
            try stop.check()
            return (migrations, try OrganizationRecord.save(organization, on: connection, now: now()))
        }
        for line in migrations.applied { logger.info("\(line)") }
        if let deferred = migrations.deferred { logger.warning("\(deferred)") }
        return InitializationReport(organization: organization, change: change, schema: migrations.state)
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
