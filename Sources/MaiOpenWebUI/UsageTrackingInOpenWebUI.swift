import Logging
import MaiSQL
import MaiSystem
import MaiUsageTracking

/// The app's migration that makes the usage tables has run when the database's alembic revision has reached it.
extension MigrationScripts: AppUsageTablesMigration {
    public func usageTablesPending(in connection: any SQLConnection) throws(DatabaseError) -> String? {
        usageTablesPending(try AlembicRecord.read(connection).revisions)
    }
}

extension UsageTrackingInitialization {
    /// In the database Open WebUI uses with this environment.
    public init(environment: [String: String], policy: RetryPolicy, logger: Logger, stop: StopRequests) {
        let location: Result<DatabaseLocation, DatabaseError> = Result { () throws(DatabaseError) in
            try DatabaseLocation.resolve(environment)
        }
        self.init(environment: environment, location: location, policy: policy, logger: logger, stop: stop)
    }
}
