import CSQLite

/// libsqlite3, loaded with dlopen when a run first opens a SQLite database (`SharedLibrary`). Linked, it was
/// loaded at every start, `--version` and a plain supervised command included: Debian builds it with BIND_NOW,
/// so the dynamic loader resolved its ~1,600 symbol relocations each time, 0.3 ms of a 7 ms start-up
/// (`scripts/bench`). CSQLite now only provides its types and constants. Every handle comes from `open`, so
/// whatever holds one holds the loaded library too.
struct LibSQLite: @unchecked Sendable {
    typealias Database = OpaquePointer
    typealias Statement = OpaquePointer
    typealias Text = UnsafePointer<CChar>

    let open: @convention(c) (Text?, UnsafeMutablePointer<Database?>?, Int32, Text?) -> Int32
    let close: @convention(c) (Database?) -> Int32
    let errcode: @convention(c) (Database?) -> Int32
    let extendedErrcode: @convention(c) (Database?) -> Int32
    let systemErrno: @convention(c) (Database?) -> Int32
    let errmsg: @convention(c) (Database?) -> Text?
    let extendedResultCodes: @convention(c) (Database?, Int32) -> Int32
    /// sqlite3_exec without its callback: the callback and its argument are passed as null pointers.
    let exec: @convention(c) (Database?, Text?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
                              UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32
    let getAutocommit: @convention(c) (Database?) -> Int32
    let dbReadonly: @convention(c) (Database?, Text?) -> Int32
    let busyHandler: @convention(c) (Database?, (@convention(c) (UnsafeMutableRawPointer?, Int32) -> Int32)?,
                                     UnsafeMutableRawPointer?) -> Int32
    let prepare: @convention(c) (Database?, Text?, Int32, UnsafeMutablePointer<Statement?>?, UnsafeMutablePointer<Text?>?) -> Int32
    let finalize: @convention(c) (Statement?) -> Int32
    let step: @convention(c) (Statement?) -> Int32
    let bindParameterIndex: @convention(c) (Statement?, Text?) -> Int32
    let bindNull: @convention(c) (Statement?, Int32) -> Int32
    let bindInt64: @convention(c) (Statement?, Int32, Int64) -> Int32
    let bindDouble: @convention(c) (Statement?, Int32, Double) -> Int32
    let bindText: @convention(c) (Statement?, Int32, Text?, Int32, sqlite3_destructor_type?) -> Int32
    let columnCount: @convention(c) (Statement?) -> Int32
    let columnType: @convention(c) (Statement?, Int32) -> Int32
    let columnInt64: @convention(c) (Statement?, Int32) -> Int64
    let columnDouble: @convention(c) (Statement?, Int32) -> Double
    let columnText: @convention(c) (Statement?, Int32) -> UnsafePointer<UInt8>?
    let columnBlob: @convention(c) (Statement?, Int32) -> UnsafeRawPointer?
    let columnBytes: @convention(c) (Statement?, Int32) -> Int32
    let backupInit: @convention(c) (Database?, Text?, Database?, Text?) -> OpaquePointer?
    let backupStep: @convention(c) (OpaquePointer?, Int32) -> Int32
    let backupFinish: @convention(c) (OpaquePointer?) -> Int32

    /// Loaded once per process; a missing or incompatible library is a permanent error that names it.
    static let shared: Result<LibSQLite, LibraryLoadError> = Result { () throws(LibraryLoadError) in try LibSQLite() }

    private init() throws(LibraryLoadError) {
        let library = try SharedLibrary(LibraryLabel(name: "libsqlite3.so.0", what: "the SQLite library", package: "libsqlite3-0"))
        open = try library.function("sqlite3_open_v2")
        close = try library.function("sqlite3_close_v2")
        errcode = try library.function("sqlite3_errcode")
        extendedErrcode = try library.function("sqlite3_extended_errcode")
        systemErrno = try library.function("sqlite3_system_errno")
        errmsg = try library.function("sqlite3_errmsg")
        extendedResultCodes = try library.function("sqlite3_extended_result_codes")
        exec = try library.function("sqlite3_exec")
        getAutocommit = try library.function("sqlite3_get_autocommit")
        dbReadonly = try library.function("sqlite3_db_readonly")
        busyHandler = try library.function("sqlite3_busy_handler")
        prepare = try library.function("sqlite3_prepare_v2")
        finalize = try library.function("sqlite3_finalize")
        step = try library.function("sqlite3_step")
        bindParameterIndex = try library.function("sqlite3_bind_parameter_index")
        bindNull = try library.function("sqlite3_bind_null")
        bindInt64 = try library.function("sqlite3_bind_int64")
        bindDouble = try library.function("sqlite3_bind_double")
        bindText = try library.function("sqlite3_bind_text")
        columnCount = try library.function("sqlite3_column_count")
        columnType = try library.function("sqlite3_column_type")
        columnInt64 = try library.function("sqlite3_column_int64")
        columnDouble = try library.function("sqlite3_column_double")
        columnText = try library.function("sqlite3_column_text")
        columnBlob = try library.function("sqlite3_column_blob")
        columnBytes = try library.function("sqlite3_column_bytes")
        backupInit = try library.function("sqlite3_backup_init")
        backupStep = try library.function("sqlite3_backup_step")
        backupFinish = try library.function("sqlite3_backup_finish")
    }
}
