import MaiSQL
/// Usage tables of this program's own, set aside (renamed `mai_aside_*`) so that a migration of the app that
/// creates the usage tables can run, and carried back into the app's tables afterwards. The rename and the
/// carry are each one transaction of the caller's, so a process killed at any point leaves either the set-aside
/// tables or the carried rows: the presence of `mai_aside_*` tables is the whole state, and the next
/// initialization that finds them next to the app's tables finishes the job.
public enum SetAsideTables {
    static func name(_ table: String) -> String { "mai_aside_" + table }

    /// Usage tables of an earlier version of this program (or the old Python code), which version 3 carries to
    /// the app's shape: the ones that exist and are not the app's.
    public static func earlierShape(_ connection: any SQLConnection) throws(DatabaseError) -> [String] {
        var earlier: [String] = []
        for table in AppUsageTables.all {
            guard let shape = try connection.tableShape(of: table) else { continue }
            if !AppUsageTables.isAppShape(table, shape, connection.dialect) {
                earlier.append(table)
            }
        }
        return earlier
    }

    /// Renames every usage table that exists; returns their row counts. Their named indexes must not keep the
    /// names the app's migration is about to create (`idx_api_key` …; SQLite's and PostgreSQL's index names
    /// are per database and per schema): on PostgreSQL they are renamed with the table, on SQLite, which cannot
    /// rename an index, dropped (an index is derived from the rows, which stay; SQLite renames its own
    /// automatic indexes with the table).
    static func setAside(_ tables: [String],
                         _ connection: any SQLConnection) throws(DatabaseError) -> [(table: String, rows: Int64)] {
        var moved: [(table: String, rows: Int64)] = []
        for table in tables where try connection.tableExists(table) {
            let aside = name(table)
            if try connection.tableExists(aside) {
                throw .incompatibleTable(table: table, reason: "\(aside), set aside earlier, is still there; the earlier rows were not carried back yet")
            }
            let rows = try connection.scalar("SELECT COUNT(*) FROM \(table)").integer ?? 0
            let indexes = try namedIndexes(of: table, connection)
            try connection.execute("ALTER TABLE \(table) RENAME TO \(aside)")
            for index in indexes {
                switch connection.dialect {
                case .sqlite: try connection.execute("DROP INDEX \(quotedIdentifier(index))")
                case .postgres: try connection.execute("ALTER INDEX \(quotedIdentifier(index)) RENAME TO \(quotedIdentifier(name(index)))")
                }
            }
            moved.append((table, rows))
        }
        return moved
    }

    /// Copies the rows of every set-aside table into the table of the same name, converted to its shape (ids
    /// as text, `17` for the integer 17; timestamps as the column asks, epoch seconds in the app's), then drops
    /// the set-aside tables. Returns the rows carried per table; empty when nothing was set aside.
    static func carryBack(_ connection: any SQLConnection, now: InstantText) throws(DatabaseError) -> [(table: String, rows: Int64)] {
        var carried: [(table: String, rows: Int64)] = []
        // ISO text without an offset is UTC, as SQLite reads it (and as this program wrote it, with its `Z`).
        if connection.dialect == .postgres { try connection.execute("SET LOCAL TimeZone = 'UTC'") }
        for table in AppUsageTables.all {
            guard let source = try connection.tableShape(of: name(table)) else { continue }
            guard let target = try connection.tableShape(of: table) else {
                throw .incompatibleTable(table: name(table), reason: "it was set aside for \(table), which does not exist yet")
            }
            let rows = try connection.scalar("SELECT COUNT(*) FROM \(name(table))").integer ?? 0
            try connection.execute(copy(table, from: source, into: target, connection.dialect, now: now))
            carried.append((table, rows))
        }
        // Usage rows first: an earlier version's tables refer to the organizations' with a foreign key.
        for table in AppUsageTables.all.reversed() where carried.contains(where: { $0.table == table }) {
            try connection.execute("DROP TABLE \(name(table))")
        }
        return carried
    }

    /// `INSERT INTO table (every column of the app's) SELECT …`: every column written, none left to a default.
    static func copy(_ table: String, from source: TableShape, into target: TableShape, _ dialect: SQLDialect,
                     now: InstantText) -> String {
        let columns = (AppUsageTables.columns[table] ?? []).map(\.name).filter { target.column($0) != nil }
        let values = columns.map { column in
            value(of: column, source: source, target: target, dialect, now: now)
        }
        return "INSERT INTO \(table) (\(columns.joined(separator: ", "))) SELECT \(values.joined(separator: ", ")) FROM \(name(table))"
    }

    private static func value(of column: String, source: TableShape, target: TableShape, _ dialect: SQLDialect,
                              now: InstantText) -> String {
        let present = source.column(column) != nil
        switch column {
        case "id":
            return "CAST(id AS \(dialect == .sqlite ? "TEXT" : "VARCHAR"))"
        case "created_at", "updated_at":
            let style = TimestampStyle(columnType: target.column(column)?.type ?? "", dialect)
            let own = timestamp(column, source, style, dialect)
            let fallback = column == "updated_at" ? [timestamp("created_at", source, style, dialect)] : []
            let current = style == .epochSeconds ? String(now.epochSeconds) : "'\(now.iso8601)'"
            return "COALESCE(\(([own] + fallback + [current]).joined(separator: ", ")))"
        case "total_tokens", "total_requests", "raw_cost", "markup_cost":
            return present ? "COALESCE(\(column), 0)" : "0"
        case "openrouter_user_id":
            return present ? "COALESCE(openrouter_user_id, '')" : "''"
        case "markup_rate":
            return present ? "COALESCE(markup_rate, 1.3)" : "1.3"
        case "is_active":
            return present ? "COALESCE(is_active, 1)" : "1"
        default:
            return present ? column : "NULL"
        }
    }

    /// A timestamp of the set-aside table in the target's style; NULL when it cannot be read as one.
    private static func timestamp(_ column: String, _ source: TableShape, _ style: TimestampStyle, _ dialect: SQLDialect) -> String {
        guard let type = source.column(column)?.type else { return "NULL" }
        let sourceStyle = TimestampStyle(columnType: type, dialect)
        switch (sourceStyle, style, dialect) {
        case (.epochSeconds, .epochSeconds, _), (.isoText, .isoText, _):
            return column
        case (.isoText, .epochSeconds, .sqlite):
            // SQLite reads ISO-8601 with a `Z` or an offset; a number would be taken for a Julian day.
            return "CASE WHEN typeof(\(column)) = 'integer' THEN \(column) ELSE CAST(strftime('%s', \(column)) AS INTEGER) END"
        case (.isoText, .epochSeconds, .postgres):
            return "CAST(EXTRACT(EPOCH FROM CAST(\(column) AS TIMESTAMPTZ)) AS BIGINT)"
        case (.epochSeconds, .isoText, .sqlite):
            return "strftime('%Y-%m-%dT%H:%M:%fZ', \(column), 'unixepoch')"
        case (.epochSeconds, .isoText, .postgres):
            return "to_char(to_timestamp(\(column)) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
        }
    }

    /// The indexes of a table that have names of their own (not SQLite's automatic ones).
    private static func namedIndexes(of table: String, _ connection: any SQLConnection) throws(DatabaseError) -> [String] {
        let sql = switch connection.dialect {
        case .sqlite:
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL ORDER BY name"
        case .postgres:
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 ORDER BY indexname"
        }
        return try connection.query(sql, [.text(table)]).compactMap { $0.first?.text }
    }
}

/// What an index name already stands for, so that `CREATE INDEX IF NOT EXISTS` is not satisfied by an index
/// of that name on another table or of other columns (or, on PostgreSQL, by a table of that name).
struct IndexCheck {
    static func verify(_ index: (name: String, table: String, columns: [String]),
                       _ connection: any SQLConnection) throws(DatabaseError) {
        guard let found = try existing(index.name, connection) else { return }
        let wanted = "\(index.table) (\(index.columns.joined(separator: ", ")))"
        guard found != wanted else { return }
        throw .conflictingIndex(name: index.name, expected: wanted, found: found)
    }

    /// `table (columns)` of the index of that name in the current schema; `a table`, `a view` … when the name
    /// is another kind of relation; nil when it is free.
    static func existing(_ name: String, _ connection: any SQLConnection) throws(DatabaseError) -> String? {
        switch connection.dialect {
        case .sqlite:
            let rows = try connection.query("SELECT type, tbl_name FROM sqlite_master WHERE name = $1", [.text(name)])
            guard let row = rows.first else { return nil }
            guard row[0].text == "index" else { return "a \(row[0].text ?? "relation")" }
            let columns = try connection.query("SELECT name FROM pragma_index_info($1) ORDER BY seqno", [.text(name)])
                .map { $0.first?.text ?? "?" }
            return "\(row[1].text ?? "") (\(columns.joined(separator: ", ")))"
        case .postgres:
            let rows = try connection.query("""
                SELECT c.relkind::text, COALESCE(t.relname::text, ''),
                       COALESCE((SELECT string_agg(a.attname::text, ', ' ORDER BY k.n)
                                 FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
                                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum), '')
                FROM pg_class c LEFT JOIN pg_index x ON x.indexrelid = c.oid LEFT JOIN pg_class t ON t.oid = x.indrelid
                WHERE c.relname = $1 AND c.relnamespace = quote_ident(current_schema())::regnamespace
                """, [.text(name)])
            guard let row = rows.first else { return nil }
            guard row[0].text == "i" else { return "a relation that is not an index (relkind \(row[0].text ?? "?"))" }
            return "\(row[1].text ?? "") (\(row[2].text ?? ""))"
        }
    }
}
