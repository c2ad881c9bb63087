import CSQLite

/// One prepared statement with its parameters bound; finalized when it goes away.
public final class SQLiteStatement {
    let handle: OpaquePointer
    private let connection: SQLiteConnection
    private var sqlite: LibSQLite { connection.sqlite }

    public init(_ sql: String, on connection: SQLiteConnection) throws(DatabaseError) {
        var statement: OpaquePointer?
        let result = connection.sqlite.prepare(connection.handle, sql, -1, &statement, nil)
        guard result == SQLITE_OK, let statement else { throw connection.failure(result) }
        self.handle = statement
        self.connection = connection
    }

    deinit { _ = sqlite.finalize(handle) }

    /// Binds `$1…$n` by name, so the same SQL text serves PostgreSQL; plain `?` binds by position.
    func bind(_ values: [SQLValue]) throws(DatabaseError) {
        for (offset, value) in values.enumerated() {
            let named = sqlite.bindParameterIndex(handle, "$\(offset + 1)")
            let index = named > 0 ? named : Int32(offset + 1)
            let result: Int32 = switch value {
            case .null: sqlite.bindNull(handle, index)
            case .integer(let number): sqlite.bindInt64(handle, index, number)
            case .real(let number): sqlite.bindDouble(handle, index, number)
            case .text(let text): text.withCString { sqlite.bindText(handle, index, $0, -1, csqlite_transient()) }
            }
            if result != SQLITE_OK { throw connection.failure(result) }
        }
    }

    /// Advances to the next row; false when the statement is done.
    public func step() throws(DatabaseError) -> Bool {
        let result = sqlite.step(handle)
        if result == SQLITE_ROW { return true }
        if result == SQLITE_DONE { return false }
        throw connection.failure(result)
    }

    var row: [SQLValue] {
        (0..<sqlite.columnCount(handle)).map { column in
            switch sqlite.columnType(handle, column) {
            case SQLITE_NULL: .null
            case SQLITE_INTEGER: .integer(sqlite.columnInt64(handle, column))
            case SQLITE_FLOAT: .real(sqlite.columnDouble(handle, column))
            default: .text(sqlite.columnText(handle, column).map { String(cString: $0) } ?? "")
            }
        }
    }

    /// One value of the current row as the library holds it, without a copy.
    public func value(_ column: Int32) -> SQLiteColumnValue {
        switch sqlite.columnType(handle, column) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(sqlite.columnInt64(handle, column))
        case SQLITE_FLOAT: return .real(sqlite.columnDouble(handle, column))
        case SQLITE_BLOB:
            // The pointer first, then the size (SQLite's documented order); an empty blob may have no pointer.
            let bytes = sqlite.columnBlob(handle, column)
            return .blob(UnsafeRawBufferPointer(start: bytes, count: Int(sqlite.columnBytes(handle, column))))
        default:
            let bytes = sqlite.columnText(handle, column)
            return .text(UnsafeRawBufferPointer(start: bytes, count: Int(sqlite.columnBytes(handle, column))))
        }
    }
}

/// One value of a SQLite row as the library holds it: text and blob bytes are SQLite's own, valid until the
/// statement steps again.
public enum SQLiteColumnValue {
    case null
    case integer(Int64)
    case real(Double)
    case text(UnsafeRawBufferPointer)
    case blob(UnsafeRawBufferPointer)
}
