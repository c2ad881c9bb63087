import Logging

/// The schema as initialization left it.
public struct SchemaState: Equatable, Sendable {
    /// The highest version recorded (possibly one a newer program applied).
    public let version: Int
    /// Versions this run applied.
    public let applied: [Int]
    /// Why the next version was not applied, when it was not.
    public let deferred: String?

    public init(version: Int, applied: [Int], deferred: String?) {
        self.version = version
        self.applied = applied
        self.deferred = deferred
    }
}

/// Applies the migrations not yet recorded, each in one locked transaction together with its record, so a
/// crash leaves the old version or the new one and concurrent runs apply each exactly once.
struct Migrator {
    static let recordTable = "mai_schema_migrations"
    static let createRecordTable = """
        CREATE TABLE IF NOT EXISTS mai_schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, \
        checksum TEXT NOT NULL, applied_at TEXT NOT NULL)
        """

    let connection: any SQLConnection
    let logger: Logger
    let stop: StopRequests
    let now: () -> String
    var migrations = Migration.all

    func migrate() throws(DatabaseError) -> SchemaState {
        var applied: [Int] = []
        // Read first, lock only when something is left to do: an initialized database is never locked.
        if try !allRecorded() {
            for migration in migrations {
                try stop.check()
                let result = try connection.transaction { () throws(DatabaseError) in try run(migration) }
                guard let result else { continue }
                if case .deferred(let reason) = result {
                    logger.warning("Usage schema v\(migration.version) (\(migration.name)) not applied: \(reason); daily rows cannot be upserted until they are merged")
                    return SchemaState(version: try recordedVersion(), applied: applied, deferred: reason)
                }
                if case .applied(let note) = result {
                    logger.info("Usage schema migration \(migration.version) (\(migration.name)) applied: \(note)")
                }
                applied.append(migration.version)
            }
        }
        return SchemaState(version: try recordedVersion(), applied: applied, deferred: nil)
    }

    /// Inside the transaction: nil when another run recorded the migration already.
    private func run(_ migration: Migration) throws(DatabaseError) -> Migration.Result? {
        try connection.execute(Self.createRecordTable)
        let checksum = migration.checksum(connection.dialect)
        if let recorded = try recordedChecksum(migration.version) {
            guard recorded == checksum else { throw .migrationChanged(version: migration.version, name: migration.name) }
            return nil
        }
        let result = try migration.apply(connection)
        if case .applied = result {
            _ = try connection.query(
                "INSERT INTO mai_schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
                [.integer(Int64(migration.version)), .text(migration.name), .text(checksum), .text(now())])
        }
        return result
    }

    private func allRecorded() throws(DatabaseError) -> Bool {
        guard try connection.tableExists(Self.recordTable) else { return false }
        for migration in migrations {
            guard let recorded = try recordedChecksum(migration.version) else { return false }
            guard recorded == migration.checksum(connection.dialect) else {
                throw .migrationChanged(version: migration.version, name: migration.name)
            }
        }
        return true
    }

    private func recordedChecksum(_ version: Int) throws(DatabaseError) -> String? {
        try connection.query("SELECT checksum FROM mai_schema_migrations WHERE version = $1",
                             [.integer(Int64(version))]).first?.first?.text
    }

    func recordedVersion() throws(DatabaseError) -> Int {
        guard try connection.tableExists(Self.recordTable) else { return 0 }
        return Int(try connection.scalar("SELECT MAX(version) FROM mai_schema_migrations").integer ?? 0)
    }
}
