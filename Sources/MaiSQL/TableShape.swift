/// What an existing table looks like, as far as adopting it goes: whether it is a table at all, and its
/// columns with their declared types, NOT NULL, default and primary key.
public struct TableShape: Equatable, Sendable {
    public enum Kind: Equatable, Sendable { case table, view }

    public struct Column: Equatable, Sendable {
        public let name: String
        /// The declared type in lower case (`text`, `integer`, `character varying`); empty when none was given.
        public let type: String
        public let notNull: Bool
        /// A default, a sequence, an identity, or SQLite's rowid alias: the column fills itself on insert.
        public let fillsItself: Bool
        public let primaryKey: Bool
    }

    public let kind: Kind
    public let columns: [Column]

    public func column(_ name: String) -> Column? { columns.first { $0.name == name } }
}

/// What a column must hold for the tracking code's statements to work.
public enum ColumnUse: Sendable {
    case text, number, date
    /// Epoch seconds or ISO text, whichever the column holds (see `TimestampStyle`).
    case timestamp

    /// Whether a column of the declared type takes the values the tracking code writes. SQLite converts
    /// values by affinity and keeps what it cannot convert, so any declared type takes them; PostgreSQL
    /// refuses a text into a number column and the reverse.
    public func accepts(_ type: String, _ dialect: SQLDialect) -> Bool {
        guard dialect == .postgres else { return true }
        let textTypes = ["text", "character varying", "character"]
        switch self {
        case .text: return textTypes.contains(type) || type.hasPrefix("timestamp")
        case .number: return ["smallint", "integer", "bigint", "numeric", "real", "double precision"].contains(type)
        case .date: return textTypes.contains(type) || type == "date" || type.hasPrefix("timestamp")
        case .timestamp: return textTypes.contains(type) || ["integer", "bigint", "numeric"].contains(type)
        }
    }
}
