import MaiSQL
/// One numbered step of the schema. Its checksum covers the SQL it runs, so a changed step is noticed
/// instead of silently leaving databases that ran the old one behind.
struct Migration: Sendable {
    enum Result: Equatable {
        case applied(String)
        /// Not applied now (the data does not allow it yet); later versions wait too.
        case deferred(String)
    }

    let version: Int
    let name: String
    /// Earlier versions this one replaces: a database that has not recorded them never gets them (it gets this
    /// one instead); one that has keeps their records.
    var supersedes: [Int] = []
    let statements: @Sendable (SQLDialect) -> [String]
    let apply: @Sendable (any SQLConnection) throws(DatabaseError) -> Result

    func checksum(_ dialect: SQLDialect) -> String {
        SHA256.hex(statements(dialect).joined(separator: ";\n"))
    }

    public static let all = [createUsageTables, uniqueDailyRows, appShape]
}

extension Migration {
    /// Version 3: the usage tables in the app's shape (`AppUsageTables`), replacing versions 1 and 2 (integer
    /// ids, ISO-text timestamps, unique daily keys the app does not have). Missing tables are created; tables the
    /// app made are adopted; tables of versions 1 and 2 are set aside and their rows carried into the app's shape
    /// in the same transaction (see `UsageTrackingInitialization`, which carries them). Every index name it
    /// needs is checked before it is created: one that stands for something else is an error.
    static let appShape = Migration(
        version: 3, name: "the app's shape", supersedes: [1, 2],
        statements: { _ in AppUsageTables.statements },
        apply: { connection throws(DatabaseError) in
            var created: [String] = [], adopted: [String] = [], earlier: [String] = []
            // Every existing table is classified before anything is written, so that a misfit writes nothing.
            for table in AppUsageTables.all {
                guard let shape = try connection.tableShape(of: table) else { created.append(table); continue }
                if AppUsageTables.isAppShape(table, shape, connection.dialect) {
                    if let reason = AppUsageTables.misfit(table, shape, connection.dialect) {
                        throw .incompatibleTable(table: table, reason: reason)
                    }
                    adopted.append(table)
                } else if let reason = UsageTables.misfit(table, shape, connection.dialect) {
                    throw .incompatibleTable(table: table, reason: reason)
                } else {
                    earlier.append(table)
                }
            }
            for index in AppUsageTables.indexes where !earlier.contains(index.table) {
                try IndexCheck.verify(index, connection)
            }
            if !earlier.isEmpty { _ = try SetAsideTables.setAside(earlier, connection) }
            for table in created + earlier { try connection.execute(AppUsageTables.create(table)) }
            for index in AppUsageTables.indexes {
                try IndexCheck.verify(index, connection)
                try connection.execute(AppUsageTables.createIndex(index))
            }
            return .applied([created.isEmpty ? nil : "created " + created.joined(separator: ", "),
                             adopted.isEmpty ? nil : "adopted the app's " + adopted.joined(separator: ", "),
                             earlier.isEmpty ? nil : "carried " + earlier.joined(separator: ", ") + " to the app's shape"]
                .compactMap { $0 }.joined(separator: "; "))
        })

    /// Version 1: the three usage tables and their indexes; tables the old Python code made are adopted.
    static let createUsageTables = Migration(
        version: 1, name: "create usage tables",
        statements: { dialect in UsageTables.all.map { UsageTables.create($0, dialect) } + UsageTables.indexes },
        apply: { connection throws(DatabaseError) in
            var created: [String] = [], adopted: [String] = []
            // Every existing table is checked before anything is created, so that a misfit writes nothing.
            for table in UsageTables.all {
                guard let shape = try connection.tableShape(of: table) else { continue }
                if let reason = UsageTables.misfit(table, shape, connection.dialect) {
                    throw .incompatibleTable(table: table, reason: reason)
                }
                adopted.append(table)
            }
            for table in UsageTables.all where !adopted.contains(table) {
                try connection.execute(UsageTables.create(table, connection.dialect))
                created.append(table)
            }
            for index in UsageTables.indexes { try connection.execute(index) }
            return .applied([created.isEmpty ? nil : "created " + created.joined(separator: ", "),
                             adopted.isEmpty ? nil : "adopted existing " + adopted.joined(separator: ", ")]
                .compactMap { $0 }.joined(separator: "; "))
        })

    /// Version 2: unique daily keys. Rows that already break them are never merged or deleted here.
    static let uniqueDailyRows = Migration(
        version: 2, name: "unique daily rows",
        statements: { _ in UsageTables.uniqueKeys.map { uniqueIndex($0.index, $0.table, $0.columns) } },
        apply: { connection throws(DatabaseError) in
            var duplicates: [String] = []
            for key in UsageTables.uniqueKeys {
                let groups = try connection.scalar("""
                    SELECT COUNT(*) FROM (SELECT 1 FROM \(key.table) GROUP BY \(key.columns) HAVING COUNT(*) > 1) AS duplicate_groups
                    """).integer ?? 0
                if groups > 0 { duplicates.append("\(groups) duplicate group\(groups == 1 ? "" : "s") in \(key.table) (\(key.columns))") }
            }
            guard duplicates.isEmpty else { return .deferred(duplicates.joined(separator: "; ")) }
            for key in UsageTables.uniqueKeys { try connection.execute(uniqueIndex(key.index, key.table, key.columns)) }
            return .applied("unique indexes created")
        })

    private static func uniqueIndex(_ name: String, _ table: String, _ columns: String) -> String {
        "CREATE UNIQUE INDEX IF NOT EXISTS \(name) ON \(table)(\(columns))"
    }
}
