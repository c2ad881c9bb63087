import MaiSQL
/// What the move needs to know of each side before it writes anything.
struct SourceTable {
    let name: String
    public let columns: [String]
    /// The primary key's columns, to name a row in an error line; empty: the rowid is used.
    let key: [String]
    let rows: Int
}

struct TargetTable {
    let name: String
    /// Column name → its PostgreSQL type (`information_schema.columns.data_type`).
    let types: [String: String]
    /// The columns that number themselves (serial or identity), whose sequences are set past the largest id.
    let numbered: [String]
}

/// Open WebUI's migrations bookkeeping: compared, never copied.
let alembicTable = "alembic_version"

enum SourceCatalog {
    /// Every table of the SQLite file but SQLite's own and Alembic's, with its row count.
    static func tables(_ source: SQLiteConnection) throws(DatabaseError) -> [SourceTable] {
        let names = try source.query("""
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name
            """).compactMap { $0.first?.text }
        var tables: [SourceTable] = []
        for name in names where name != alembicTable {
            let info = try source.query("SELECT name, pk FROM pragma_table_info($1) ORDER BY cid", [.text(name)])
            let key = info.filter { ($0[1].integer ?? 0) > 0 }.sorted { ($0[1].integer ?? 0) < ($1[1].integer ?? 0) }
            let rows = try source.scalar("SELECT COUNT(*) FROM \(quotedIdentifier(name))").integer ?? 0
            tables.append(SourceTable(name: name, columns: info.compactMap { $0[0].text },
                                      key: key.compactMap { $0[0].text }, rows: Int(rows)))
        }
        return tables
    }

    /// The Alembic revisions recorded (Open WebUI has one head); nil without the table.
    static func revisions(_ connection: some SQLConnection) throws(DatabaseError) -> [String]? {
        guard try connection.tableExists(alembicTable) else { return nil }
        return try connection.query("SELECT version_num FROM \(alembicTable) ORDER BY version_num").compactMap { $0.first?.text }
    }
}

enum TargetCatalog {
    static func tables(_ target: PostgresConnection) throws(DatabaseError) -> [String: TargetTable] {
        let rows = try target.query("""
            SELECT table_name::text, column_name::text, data_type::text,
                   (is_identity = 'YES' OR column_default LIKE 'nextval(%')::int
            FROM information_schema.columns
            WHERE table_schema = current_schema()
              AND table_name IN (SELECT table_name FROM information_schema.tables
                                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE')
            ORDER BY table_name, ordinal_position
            """)
        var tables: [String: TargetTable] = [:]
        for row in rows {
            guard let table = row[0].text, let column = row[1].text, let type = row[2].text else { continue }
            let known = tables[table] ?? TargetTable(name: table, types: [:], numbered: [])
            var types = known.types
            types[column] = type
            tables[table] = TargetTable(name: table, types: types, numbered: known.numbered + (row[3].integer == 1 ? [column] : []))
        }
        return tables
    }

    /// The foreign keys between tables of the current schema, as (table, the table it refers to).
    static func references(_ target: PostgresConnection) throws(DatabaseError) -> [(table: String, refersTo: String)] {
        try target.query("""
            SELECT c.conrelid::regclass::text, c.confrelid::regclass::text
            FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
            WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace
            """).compactMap { row in
            guard let table = row[0].text, let other = row[1].text else { return nil }
            return (unquoted(table), unquoted(other))
        }
    }

    /// The tables holding rows, with their counts (`user`, `chat`: a server that has been used).
    static func filled(_ target: PostgresConnection, among tables: [String]) throws(DatabaseError) -> [(String, Int)] {
        var filled: [(String, Int)] = []
        for table in tables.sorted() where table != alembicTable {
            let count = try target.scalar("SELECT COUNT(*) FROM \(quotedIdentifier(table))").integer ?? 0
            if count > 0 { filled.append((table, Int(count))) }
        }
        return filled
    }

    /// `regclass` prints a name quoted when it needs quotes (`"user"`, `"group"`).
    private static func unquoted(_ name: String) -> String {
        guard name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 else { return name }
        return String(name.dropFirst().dropLast()).replacing("\"\"", with: "\"")
    }
}

/// Tables in an order where every table comes after the tables it refers to (a table's references to itself
/// are checked at the end of its COPY, which holds all its rows). Tables in a cycle, if any, keep name order;
/// PostgreSQL then names the constraint that fails.
func referenceOrder(_ tables: [String], references: [(table: String, refersTo: String)]) -> [String] {
    let wanted = Set(tables)
    var needs: [String: Set<String>] = [:]
    for reference in references where reference.table != reference.refersTo
        && wanted.contains(reference.table) && wanted.contains(reference.refersTo) {
        needs[reference.table, default: []].insert(reference.refersTo)
    }
    var ordered: [String] = [], placed = Set<String>(), left = tables.sorted()
    while !left.isEmpty {
        let ready = left.filter { (needs[$0] ?? []).isSubset(of: placed) }
        let next = ready.isEmpty ? [left[0]] : ready
        ordered += next
        placed.formUnion(next)
        left.removeAll { placed.contains($0) }
    }
    return ordered
}
