import CSQLite

/// One prepared statement with its parameters bound; finalized when it goes away.
public final class SQLiteStatement {
    public let handle: OpaquePointer
    private let connection: SQLiteConnection

    public init(_ sql: String, on connection: SQLiteConnection) throws(DatabaseError) {
        var statement: OpaquePointer?
        let result = sqlite3_prepare_v2(connection.handle, sql, -1, &statement, nil)
        guard result == SQLITE_OK, let statement else { throw connection.failure(result) }
        self.handle = statement
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    /// Binds `$1…$n` by name, so the same SQL text serves PostgreSQL; plain `?` binds by position.
    func bind(_ values: [SQLValue]) throws(DatabaseError) {
        for (offset, value) in values.enumerated() {
            let named = sqlite3_bind_parameter_index(handle, "$\(offset + 1)")
            let index = named > 0 ? named : Int32(offset + 1)
            let result: Int32 = switch value {
            case .null: sqlite3_bind_null(handle, index)
            case .integer(let number): sqlite3_bind_int64(handle, index, number)
            case .real(let number): sqlite3_bind_double(handle, index, number)
            case .text(let text): text.withCString { csqlite_bind_text(handle, index, $0, -1) }
            }
            if result != SQLITE_OK { throw connection.failure(result) }
        }
    }

    /// Advances to the next row; false when the statement is done.
    public func step() throws(DatabaseError) -> Bool {
        let result = sqlite3_step(handle)
        if result == SQLITE_ROW { return true }
        if result == SQLITE_DONE { return false }
        throw connection.failure(result)
    }

    var row: [SQLValue] {
        (0..<sqlite3_column_count(handle)).map { column in
            switch sqlite3_column_type(handle, column) {
            case SQLITE_NULL: .null
            case SQLITE_INTEGER: .integer(sqlite3_column_int64(handle, column))
            case SQLITE_FLOAT: .real(sqlite3_column_double(handle, column))
            default: .text(sqlite3_column_text(handle, column).map { String(cString: $0) } ?? "")
            }
        }
    }
}
