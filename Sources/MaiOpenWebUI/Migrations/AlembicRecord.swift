import MaiSQL
import MaiUsageTracking
/// What Open WebUI's Alembic left in a database: the revisions in `alembic_version` and, on SQLite, the
/// `_alembic_tmp_*` tables of a batch migration that was interrupted. Alembic runs SQLite DDL outside any
/// transaction: its batch mode copies a table through `_alembic_tmp_NAME` (create, copy, drop, rename), and a
/// process killed between the create and the rename leaves the copy behind; every later `upgrade` then stops at
/// "table _alembic_tmp_NAME already exists".
public struct AlembicRecord: Equatable, Sendable {
    /// nil when there is no alembic_version table (a fresh database, or one Open WebUI never opened).
    public let revisions: [String]?
    public let leftoverTables: [String]
    /// Usage tables in an earlier shape of this program's, which the next initialization carries to the app's
    /// shape: a schema change of ours, worth the same backup as Open WebUI's.
    public var earlierUsageTables: [String] = []

    public init(revisions: [String]?, leftoverTables: [String]) {
        self.revisions = revisions
        self.leftoverTables = leftoverTables
    }

    /// Works on both databases (PostgreSQL in DATABASE_SCHEMA: the connection's search_path is set to it);
    /// leftover tables are looked for on SQLite only.
    public static func read(_ connection: any SQLConnection) throws(DatabaseError) -> AlembicRecord {
        let revisions: [String]? = try connection.tableExists("alembic_version")
            ? try connection.query("SELECT version_num FROM alembic_version").compactMap { $0.first?.text }.sorted()
            : nil
        guard connection.dialect == .sqlite else { return AlembicRecord(revisions: revisions, leftoverTables: []) }
        let leftovers = try connection.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '\\_alembic\\_tmp\\_%' ESCAPE '\\' ORDER BY name")
            .compactMap { $0.first?.text }
        var record = AlembicRecord(revisions: revisions, leftoverTables: leftovers)
        record.earlierUsageTables = try SetAsideTables.earlierShape(connection)
        return record
    }
}
