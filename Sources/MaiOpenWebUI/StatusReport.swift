import MaiRedaction
import MaiSQL
import MaiSystem
import MaiUsageTracking
/// What `mai-entrypoint status` prints after the database lines (`OpenWebUIDatabase.lines`, printed before the
/// database is opened): schema version, the organization row (key masked) and row counts.
public struct StatusReport: Equatable, Sendable {
    public struct AppliedMigration: Equatable, Sendable {
        public let version: Int
        public let name: String
        public let appliedAt: String
    }

    public let location: DatabaseLocation
    public let migrations: [AppliedMigration]
    /// Column name and value of each organization row shown, in table order.
    public let organizations: [[(String, String)]]
    public let organizationID: String?
    /// nil when the table does not exist.
    public let rowCounts: [(table: String, count: Int64?)]
    /// The app's migration that makes the usage tables, when it has not run on this database yet.
    public var appTablesPending: String? = nil

    public var schemaVersion: Int { migrations.map(\.version).max() ?? 0 }

    public static func == (lhs: StatusReport, rhs: StatusReport) -> Bool { lhs.lines == rhs.lines }

    public var lines: [String] {
        let applied = migrations.map { "\($0.version) \($0.name), applied \($0.appliedAt)" }
        return ["schema: v\(schemaVersion)" + (applied.isEmpty ? " (not initialized)" : " (" + applied.joined(separator: "; ") + ")")]
            + (appTablesPending.map { [Self.pendingLine($0)] } ?? [])
            + organizationLines
            + ["rows: " + rowCounts.map { "\($0.table)=\($0.count.map(String.init) ?? "absent")" }.joined(separator: " ")]
    }

    /// Said by `status` when the app has not made its usage tables yet (also before its database exists).
    public static func pendingLine(_ revision: String) -> String {
        "usage_tables: not made yet: the app's migration \(revision) makes them when the server starts; the organization is recorded after it"
    }

    private var organizationLines: [String] {
        guard !organizations.isEmpty else {
            return ["organization: none" + (organizationID.map { " with id \(logfmtValue($0))" } ?? "")]
        }
        return organizations.map { row in
            "organization: " + row.map { "\($0.0)=\(logfmtValue($0.0 == "openrouter_api_key" ? maskValue($0.1) : $0.1))" }
                .joined(separator: " ")
        }
    }
}

/// Reads the status in a read-only connection: nothing is created, locked or written.
public func readStatus(_ location: DatabaseLocation, organizationID: String?, scripts: MigrationScripts? = nil,
                       timeout: Duration = .seconds(5)) throws(DatabaseError) -> StatusReport {
    let connection = try openDatabase(location, mode: .readOnly, timeout: timeout, stop: .never())
    let pending = try scripts?.usageTablesPending(AlembicRecord.read(connection).revisions)
    var migrations: [StatusReport.AppliedMigration] = []
    if try connection.tableExists(Migrator.recordTable) {
        migrations = try connection.query("SELECT version, name, applied_at FROM mai_schema_migrations ORDER BY version")
            .map { StatusReport.AppliedMigration(version: Int($0[0].integer ?? 0), name: $0[1].text ?? "", appliedAt: $0[2].text ?? "") }
    }
    var counts: [(table: String, count: Int64?)] = []
    for table in UsageTables.all {
        let count = try connection.tableExists(table) ? try connection.scalar("SELECT COUNT(*) FROM \(table)").integer : nil
        counts.append((table, count))
    }
    var report = StatusReport(location: location, migrations: migrations,
                              organizations: try organizationRows(connection, organizationID), organizationID: organizationID,
                              rowCounts: counts)
    report.appTablesPending = pending
    return report
}

private func organizationRows(_ connection: any SQLConnection, _ id: String?) throws(DatabaseError) -> [[(String, String)]] {
    guard try connection.tableExists(UsageTables.organizations) else { return [] }
    let columns = UsageTables.requiredColumns[UsageTables.organizations] ?? []
    let select = "SELECT \(columns.joined(separator: ", ")) FROM client_organizations"
    let rows = if let id {
        try connection.query(select + " WHERE id = $1", [.text(id)])
    } else {
        try connection.query(select + " ORDER BY id")
    }
    return rows.map { row in Array(zip(columns, row.map { $0.text ?? "NULL" })) }
}
