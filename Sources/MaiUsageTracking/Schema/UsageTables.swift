import MaiSQL
/// The usage tables exactly as the tracking code expects them (schema version 1), per dialect.
public enum UsageTables {
    public static let organizations = "client_organizations"
    static let userUsage = "client_user_daily_usage"
    static let modelUsage = "client_model_daily_usage"
    public static let all = [organizations, userUsage, modelUsage]

    /// The columns the tracking code reads and writes: a table from the old Python code that has them all
    /// is adopted as it is.
    public static let requiredColumns: [String: [String]] = [
        organizations: ["id", "name", "openrouter_api_key", "markup_rate", "is_active", "created_at", "updated_at"],
        userUsage: ["id", "client_org_id", "user_id", "usage_date", "openrouter_user_id", "total_tokens",
                    "total_requests", "raw_cost", "markup_cost", "created_at", "updated_at"],
        modelUsage: ["id", "client_org_id", "model_name", "provider", "usage_date", "total_tokens", "total_requests",
                     "raw_cost", "markup_cost", "created_at", "updated_at"],
    ]

    /// What each required column must take (see `ColumnUse`).
    static let columnUses: [String: ColumnUse] = [
        "id": .text, "name": .text, "openrouter_api_key": .text, "markup_rate": .number, "is_active": .number,
        "created_at": .text, "updated_at": .text, "client_org_id": .text, "user_id": .text, "usage_date": .date,
        "openrouter_user_id": .text, "total_tokens": .number, "total_requests": .number, "raw_cost": .number,
        "markup_cost": .number, "model_name": .text, "provider": .text,
    ]

    /// Why an existing table cannot be adopted as it is, or nil when the tracking code can use it: a table,
    /// not a view; every column it reads and writes, of a type that takes its values; the organization's id
    /// a TEXT primary key (the upsert's ON CONFLICT needs it), a usage row's id numbering itself; and no other
    /// NOT NULL column without a default, which every insert would fail.
    static func misfit(_ table: String, _ shape: TableShape, _ dialect: SQLDialect) -> String? {
        guard shape.kind == .table else { return "it is a view" }
        let required = requiredColumns[table] ?? []
        let missing = required.filter { shape.column($0) == nil }
        if !missing.isEmpty { return "it lacks column(s) \(missing.joined(separator: ", "))" }
        if let reason = idMisfit(table, shape, dialect) { return reason }
        for name in required where name != "id" {
            guard let column = shape.column(name), let use = columnUses[name], !use.accepts(column.type, dialect) else { continue }
            return "column \(name) is \(column.type), which cannot hold the tracking code's values"
        }
        let blocking = shape.columns.filter { !required.contains($0.name) && $0.notNull && !$0.fillsItself }
        if let column = blocking.first { return "its column \(column.name) is NOT NULL without a default" }
        return nil
    }

    private static func idMisfit(_ table: String, _ shape: TableShape, _ dialect: SQLDialect) -> String? {
        guard let id = shape.column("id") else { return nil }
        let keys = shape.columns.filter(\.primaryKey).map(\.name)
        if table == organizations {
            let textual = dialect == .sqlite ? sqliteTextAffinity(id.type) : ColumnUse.text.accepts(id.type, dialect)
            guard keys == ["id"], textual else { return "its id is not a TEXT primary key" }
            return nil
        }
        guard id.fillsItself else { return "its id does not number itself (INTEGER PRIMARY KEY or a serial)" }
        return nil
    }

    /// SQLite's rule for a declared type that stores text as text: it names CHAR, CLOB or TEXT.
    private static func sqliteTextAffinity(_ type: String) -> Bool {
        !type.contains("int") && (type.contains("char") || type.contains("clob") || type.contains("text"))
    }

    public static func create(_ table: String, _ dialect: SQLDialect) -> String {
        let types = ColumnTypes(dialect)
        switch table {
        case organizations:
            return """
                CREATE TABLE client_organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL, \
                openrouter_api_key TEXT NOT NULL, markup_rate \(types.real) DEFAULT 1.3, is_active INTEGER DEFAULT 1, \
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL)
                """
        case userUsage:
            return """
                CREATE TABLE client_user_daily_usage (id \(types.serial), client_org_id TEXT NOT NULL, \
                user_id TEXT NOT NULL, usage_date DATE NOT NULL, openrouter_user_id TEXT, \
                total_tokens \(types.count) DEFAULT 0, total_requests \(types.count) DEFAULT 0, \
                raw_cost \(types.real) DEFAULT 0.0, markup_cost \(types.real) DEFAULT 0.0, created_at TEXT NOT NULL, \
                updated_at TEXT, FOREIGN KEY (client_org_id) REFERENCES client_organizations(id))
                """
        default:
            return """
                CREATE TABLE client_model_daily_usage (id \(types.serial), client_org_id TEXT NOT NULL, \
                model_name TEXT NOT NULL, provider TEXT NOT NULL, usage_date DATE NOT NULL, \
                total_tokens \(types.count) DEFAULT 0, total_requests \(types.count) DEFAULT 0, \
                raw_cost \(types.real) DEFAULT 0.0, markup_cost \(types.real) DEFAULT 0.0, created_at TEXT NOT NULL, \
                updated_at TEXT, FOREIGN KEY (client_org_id) REFERENCES client_organizations(id))
                """
        }
    }

    /// IF NOT EXISTS: an adopted table may already carry the old code's index of the same name.
    public static let indexes = [
        "CREATE INDEX IF NOT EXISTS idx_user_usage_org_date ON client_user_daily_usage(client_org_id, usage_date)",
        "CREATE INDEX IF NOT EXISTS idx_model_usage_org_date ON client_model_daily_usage(client_org_id, usage_date)",
    ]

    /// Schema version 2: one row per day and key, so the tracking code can upsert.
    static let uniqueKeys: [(table: String, index: String, columns: String)] = [
        (userUsage, "uq_user_usage_org_user_date", "client_org_id, user_id, usage_date"),
        (modelUsage, "uq_model_usage_org_model_provider_date", "client_org_id, model_name, provider, usage_date"),
    ]
}

/// SQLite's types where the issue names them; PostgreSQL's equivalents (64-bit counters, since a busy day's
/// token total can pass 2^31).
private struct ColumnTypes {
    let serial, count, real: String

    init(_ dialect: SQLDialect) {
        switch dialect {
        case .sqlite: (serial, count, real) = ("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER", "REAL")
        case .postgres: (serial, count, real) = ("BIGSERIAL PRIMARY KEY", "BIGINT", "DOUBLE PRECISION")
        }
    }
}
