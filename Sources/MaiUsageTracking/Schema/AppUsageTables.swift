import MaiSQL
import MaiSystem

/// The usage tables in the shape the mAI app itself makes them (schema version 3): the app owns them, reads and
/// writes them (its Usage Settings, its recording and background sync), and makes them in one of its own
/// Alembic migrations. These are the three tables of that migration that this program writes, written from its
/// facts: string ids the app chooses (`<org>:<user>:<date>`, uuid4), epoch seconds in BIGINT timestamps,
/// SQLAlchemy's types as it renders them (`String` VARCHAR, `Text` TEXT, `Float` FLOAT, `BigInteger` BIGINT,
/// `Date` DATE) and no SQL defaults: the app's defaults live on the Python side, so every insert of ours names
/// every column. Later versions of the app add `client_organizations.timezone`: accepted, never created.
public enum AppUsageTables {
    public static let organizations = UsageTables.organizations
    static let userUsage = UsageTables.userUsage
    static let modelUsage = UsageTables.modelUsage
    public static let all = UsageTables.all

    /// Every column of each table, in the app's order, with its type and NOT NULL.
    public static let columns: [String: [(name: String, type: String, notNull: Bool)]] = [
        organizations: [
            ("id", "VARCHAR", true), ("name", "VARCHAR", true), ("openrouter_api_key", "TEXT", true),
            ("openrouter_key_hash", "VARCHAR", false), ("markup_rate", "FLOAT", false), ("monthly_limit", "FLOAT", false),
            ("billing_email", "VARCHAR", false), ("is_active", "INTEGER", false), ("created_at", "BIGINT", true),
            ("updated_at", "BIGINT", true),
        ],
        userUsage: [
            ("id", "VARCHAR", true), ("client_org_id", "VARCHAR", true), ("user_id", "VARCHAR", true),
            ("openrouter_user_id", "VARCHAR", true), ("usage_date", "DATE", true), ("total_tokens", "BIGINT", false),
            ("total_requests", "INTEGER", false), ("raw_cost", "FLOAT", false), ("markup_cost", "FLOAT", false),
            ("created_at", "BIGINT", true), ("updated_at", "BIGINT", true),
        ],
        modelUsage: [
            ("id", "VARCHAR", true), ("client_org_id", "VARCHAR", true), ("model_name", "VARCHAR", true),
            ("usage_date", "DATE", true), ("total_tokens", "BIGINT", false), ("total_requests", "INTEGER", false),
            ("raw_cost", "FLOAT", false), ("markup_cost", "FLOAT", false), ("provider", "VARCHAR", false),
            ("created_at", "BIGINT", true), ("updated_at", "BIGINT", true),
        ],
    ]

    /// The app's index names: on SQLite (one namespace per database) and PostgreSQL (one per schema) a name
    /// may already be taken by another table's index, which `IF NOT EXISTS` would silently accept.
    public static let indexes: [(name: String, table: String, columns: [String])] = [
        ("idx_api_key", organizations, ["openrouter_api_key"]),
        ("idx_active", organizations, ["is_active"]),
        ("idx_client_user_date", userUsage, ["client_org_id", "user_id", "usage_date"]),
        ("idx_user_date", userUsage, ["user_id", "usage_date"]),
        ("idx_client_model_date", modelUsage, ["client_org_id", "model_name", "usage_date"]),
        ("idx_model_date", modelUsage, ["model_name", "usage_date"]),
    ]

    /// The same text on both databases, as SQLAlchemy renders the app's `op.create_table` there.
    public static func create(_ table: String) -> String {
        let definitions = (columns[table] ?? []).map { "\($0.name) \($0.type)\($0.notNull ? " NOT NULL" : "")" }
        let unique = table == organizations ? ", UNIQUE (openrouter_api_key)" : ""
        return "CREATE TABLE \(table) (\(definitions.joined(separator: ", ")), PRIMARY KEY (id)\(unique))"
    }

    public static func createIndex(_ index: (name: String, table: String, columns: [String])) -> String {
        "CREATE INDEX IF NOT EXISTS \(index.name) ON \(index.table) (\(index.columns.joined(separator: ", ")))"
    }

    /// The statements version 3 runs on a database without the tables (its checksum covers them).
    static var statements: [String] { all.map(create) + indexes.map(createIndex) }

    /// Whether the tracking code can use an existing table as the app made it; nil when it can: a table, not a
    /// view; the columns we write (`provider` and the app's optional ones aside), of types that take our values;
    /// a text primary key `id`; no NOT NULL column of another version without a default.
    static func misfit(_ table: String, _ shape: TableShape, _ dialect: SQLDialect) -> String? {
        guard shape.kind == .table else { return "it is a view" }
        let written = (columns[table] ?? []).filter(\.notNull).map(\.name) + writtenOptional(table)
        let missing = written.filter { shape.column($0) == nil }
        if !missing.isEmpty { return "it lacks column(s) \(missing.joined(separator: ", "))" }
        guard isTextKey(shape, dialect) else { return "its id is not a text primary key" }
        for name in written where name != "id" {
            guard let column = shape.column(name), let use = use(of: name), !use.accepts(column.type, dialect) else { continue }
            return "column \(name) is \(column.type), which cannot hold the tracking code's values"
        }
        let known = (columns[table] ?? []).map(\.name)
        if let column = shape.columns.first(where: { !known.contains($0.name) && $0.notNull && !$0.fillsItself }) {
            return "its column \(column.name) is NOT NULL without a default"
        }
        return nil
    }

    /// Optional columns the organization upsert writes explicitly (the app's defaults are Python's).
    private static func writtenOptional(_ table: String) -> [String] {
        table == organizations ? ["markup_rate", "is_active"] : []
    }

    private static func use(of column: String) -> ColumnUse? {
        switch column {
        case "created_at", "updated_at": .timestamp
        case "usage_date": .date
        case "markup_rate", "is_active", "total_tokens", "total_requests", "raw_cost", "markup_cost": .number
        default: .text
        }
    }

    /// A table the app made (or version 3): a text primary key and every column of the app's. Versions 1 and 2
    /// made the same names with integer ids or fewer columns; those are carried to this shape instead.
    public static func isAppShape(_ table: String, _ shape: TableShape, _ dialect: SQLDialect) -> Bool {
        isTextKey(shape, dialect) && (columns[table] ?? []).allSatisfy { shape.column($0.name) != nil }
    }

    /// The only primary key column is `id`, and it holds text: the app's shape.
    static func isTextKey(_ shape: TableShape, _ dialect: SQLDialect) -> Bool {
        guard let id = shape.column("id"), shape.columns.filter(\.primaryKey).map(\.name) == ["id"] else { return false }
        return ColumnUse.text.accepts(id.type, dialect) && !(dialect == .sqlite && id.type.contains("int"))
    }
}

/// How a timestamp is written into a column: the column's type decides. The app's BIGINT columns take epoch
/// seconds (it reads them with `datetime.fromtimestamp`); a text column keeps ISO-8601 text.
enum TimestampStyle: Equatable {
    case epochSeconds, isoText

    init(columnType type: String, _ dialect: SQLDialect) {
        switch dialect {
        case .sqlite: self = type.contains("int") ? .epochSeconds : .isoText  // SQLite's INTEGER affinity rule
        case .postgres: self = ["smallint", "integer", "bigint", "numeric"].contains(type) ? .epochSeconds : .isoText
        }
    }

    func value(_ now: InstantText) -> SQLValue {
        switch self {
        case .epochSeconds: .integer(now.epochSeconds)
        case .isoText: .text(now.iso8601)
        }
    }
}

/// One moment as both writings.
public struct InstantText: Equatable, Sendable {
    public let epochSeconds: Int64
    public let iso8601: String

    public init(epochSeconds: Int64, iso8601: String) {
        self.epochSeconds = epochSeconds
        self.iso8601 = iso8601
    }

    public static func now() -> InstantText {
        let time = WallClockTime.now()
        return InstantText(epochSeconds: time.epochSeconds, iso8601: time.iso8601)
    }
}
