/// What migrations and the organization upsert need from a database, whichever it is.
/// Statements use `$1…$n` placeholders, which both SQLite and PostgreSQL understand.
public protocol SQLConnection: AnyObject {
    var dialect: SQLDialect { get }
    /// Runs one or more statements that take no parameters (DDL, transaction control).
    func execute(_ sql: String) throws(DatabaseError)
    /// Runs one statement with bound parameters and returns all of its rows.
    func query(_ sql: String, _ parameters: [SQLValue]) throws(DatabaseError) -> [[SQLValue]]
    /// Starts a transaction that holds the schema lock: concurrent initializers wait here, one at a time.
    func beginLocked() throws(DatabaseError)
    /// Ends a failed transaction; errors are dropped because the original one is what matters.
    func rollbackQuietly()
    /// The columns of a table in the current schema, in order; empty when the table does not exist.
    func columnNames(of table: String) throws(DatabaseError) -> [String]
    /// The table or view of that name in the current schema, with its columns; nil when there is none.
    func tableShape(of table: String) throws(DatabaseError) -> TableShape?
}

extension SQLConnection {
    /// Runs `body` inside one locked transaction: everything it wrote is committed together or not at all.
    public func transaction<T>(_ body: () throws(DatabaseError) -> T) throws(DatabaseError) -> T {
        do {
            // Inside the do: PostgreSQL's BEGIN succeeds before the lock wait, which may then time out.
            try beginLocked()
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            rollbackQuietly()
            throw error
        }
    }

    public func query(_ sql: String) throws(DatabaseError) -> [[SQLValue]] { try query(sql, []) }

    /// The first column of the first row, for `SELECT COUNT(*)` and the like.
    public func scalar(_ sql: String, _ parameters: [SQLValue] = []) throws(DatabaseError) -> SQLValue {
        try query(sql, parameters).first?.first ?? .null
    }

    public func tableExists(_ table: String) throws(DatabaseError) -> Bool {
        try !columnNames(of: table).isEmpty
    }
}
