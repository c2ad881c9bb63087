import MaiSQL
import MaiSystem

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

/// Applies the migrations not yet recorded, inside the caller's locked transaction, each with its record:
/// together with the organization upsert they commit at once or not at all, so a crash or a failure leaves
/// the database as it was or fully initialized, and concurrent runs apply each migration exactly once.
public struct Migrator {
    public static let recordTable = "mai_schema_migrations"
    public static let createRecordTable = """
        CREATE TABLE IF NOT EXISTS mai_schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, \
        checksum TEXT NOT NULL, applied_at TEXT NOT NULL)
        """

    let connection: any SQLConnection
    let stop: StopRequests
    let now: () -> String
    var migrations = Migration.all

    /// What a run did, for the log lines written once it has committed (none reports a change rolled back).
    struct Report {
        let state: SchemaState
        /// One line per migration applied.
        var applied: [String] = []
        /// The warning for a migration the data does not allow yet.
        var deferred: String?
    }

    /// Call inside `connection.transaction`.
    func migrateInTransaction() throws(DatabaseError) -> Report {
        var applied: [Int] = [], notes: [String] = []
        if try !allRecorded() {
            for migration in migrations {
                try stop.check()
                guard let result = try run(migration) else { continue }
                if case .deferred(let reason) = result {
                    let state = SchemaState(version: try recordedVersion(), applied: applied, deferred: reason)
                    return Report(state: state, applied: notes, deferred: "Usage schema v\(migration.version) (\(migration.name)) not applied: \(reason); daily rows cannot be upserted until they are merged")
                }
                if case .applied(let note) = result {
                    notes.append("Usage schema migration \(migration.version) (\(migration.name)) applied: \(note)")
                }
                applied.append(migration.version)
            }
        }
        return Report(state: SchemaState(version: try recordedVersion(), applied: applied, deferred: nil), applied: notes)
    }

    /// Versions a later one replaces: applied only where they were applied before this program knew better.
    private var superseded: Set<Int> { Set(migrations.flatMap(\.supersedes)) }

    /// Nil when another run recorded the migration already, or a later one replaces it.
    private func run(_ migration: Migration) throws(DatabaseError) -> Migration.Result? {
        try connection.execute(Self.createRecordTable)
        let checksum = migration.checksum(connection.dialect)
        if let recorded = try recordedChecksum(migration.version) {
            guard recorded == checksum else { throw .migrationChanged(version: migration.version, name: migration.name) }
            return nil
        }
        if superseded.contains(migration.version) { return nil }
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
            guard let recorded = try recordedChecksum(migration.version) else {
                if superseded.contains(migration.version) { continue }
                return false
            }
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
