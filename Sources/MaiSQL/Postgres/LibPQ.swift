import CLibPQ
import Glibc

/// libpq, loaded with dlopen the first time PostgreSQL is used (`SharedLibrary`). Linked at start-up it cost every
/// run (SQLite, `--version`, a plain supervised command) about 3 ms and 10 MB of resident memory for the TLS,
/// Kerberos and LDAP libraries it pulls in; CLibPQ now only provides its types.
struct LibPQ: @unchecked Sendable {
    typealias Connection = OpaquePointer
    typealias Result = OpaquePointer
    typealias Strings = UnsafePointer<UnsafePointer<CChar>?>

    let connectStartParams: @convention(c) (Strings?, Strings?, Int32) -> Connection?
    let connectPoll: @convention(c) (Connection?) -> PostgresPollingStatusType
    let socket: @convention(c) (Connection?) -> Int32
    let sendQuery: @convention(c) (Connection?, UnsafePointer<CChar>?) -> Int32
    let sendQueryParams: @convention(c) (
        Connection?, UnsafePointer<CChar>?, Int32, UnsafePointer<Oid>?, Strings?, UnsafePointer<Int32>?, UnsafePointer<Int32>?, Int32
    ) -> Int32
    let consumeInput: @convention(c) (Connection?) -> Int32
    let isBusy: @convention(c) (Connection?) -> Int32
    let getResult: @convention(c) (Connection?) -> Result?
    let status: @convention(c) (Connection?) -> ConnStatusType
    let errorMessage: @convention(c) (Connection?) -> UnsafeMutablePointer<CChar>?
    let connectionNeedsPassword: @convention(c) (Connection?) -> Int32
    let finish: @convention(c) (Connection?) -> Void
    let setNoticeProcessor: @convention(c) (Connection?, PQnoticeProcessor?, UnsafeMutableRawPointer?) -> PQnoticeProcessor?
    let exec: @convention(c) (Connection?, UnsafePointer<CChar>?) -> Result?
    let clear: @convention(c) (Result?) -> Void
    let ntuples: @convention(c) (Result?) -> Int32
    let nfields: @convention(c) (Result?) -> Int32
    let getisnull: @convention(c) (Result?, Int32, Int32) -> Int32
    let getvalue: @convention(c) (Result?, Int32, Int32) -> UnsafeMutablePointer<CChar>?
    let transactionStatus: @convention(c) (Connection?) -> PGTransactionStatusType
    let resultStatus: @convention(c) (Result?) -> ExecStatusType
    let resultErrorField: @convention(c) (Result?, Int32) -> UnsafeMutablePointer<CChar>?
    let conninfoParse: @convention(c) (
        UnsafePointer<CChar>?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
    ) -> UnsafeMutablePointer<PQconninfoOption>?
    let conninfoFree: @convention(c) (UnsafeMutablePointer<PQconninfoOption>?) -> Void
    let freemem: @convention(c) (UnsafeMutableRawPointer?) -> Void
    let setnonblocking: @convention(c) (Connection?, Int32) -> Int32
    let flush: @convention(c) (Connection?) -> Int32
    let putCopyData: @convention(c) (Connection?, UnsafePointer<CChar>?, Int32) -> Int32
    let putCopyEnd: @convention(c) (Connection?, UnsafePointer<CChar>?) -> Int32
    let getCopyData: @convention(c) (Connection?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, Int32) -> Int32

    /// Loaded once per process; a missing or incompatible library is a permanent error that names it.
    static let shared: Swift.Result<LibPQ, LibraryLoadError> = Swift.Result { () throws(LibraryLoadError) in try LibPQ() }

    private init() throws(LibraryLoadError) {
        let library = try SharedLibrary(LibraryLabel(name: "libpq.so.5", what: "the PostgreSQL client library", package: "libpq5"))
        connectStartParams = try library.function("PQconnectStartParams")
        connectPoll = try library.function("PQconnectPoll")
        socket = try library.function("PQsocket")
        sendQuery = try library.function("PQsendQuery")
        sendQueryParams = try library.function("PQsendQueryParams")
        consumeInput = try library.function("PQconsumeInput")
        isBusy = try library.function("PQisBusy")
        getResult = try library.function("PQgetResult")
        status = try library.function("PQstatus")
        errorMessage = try library.function("PQerrorMessage")
        connectionNeedsPassword = try library.function("PQconnectionNeedsPassword")
        finish = try library.function("PQfinish")
        setNoticeProcessor = try library.function("PQsetNoticeProcessor")
        exec = try library.function("PQexec")
        clear = try library.function("PQclear")
        ntuples = try library.function("PQntuples")
        nfields = try library.function("PQnfields")
        getisnull = try library.function("PQgetisnull")
        getvalue = try library.function("PQgetvalue")
        transactionStatus = try library.function("PQtransactionStatus")
        resultStatus = try library.function("PQresultStatus")
        resultErrorField = try library.function("PQresultErrorField")
        conninfoParse = try library.function("PQconninfoParse")
        conninfoFree = try library.function("PQconninfoFree")
        freemem = try library.function("PQfreemem")
        setnonblocking = try library.function("PQsetnonblocking")
        flush = try library.function("PQflush")
        putCopyData = try library.function("PQputCopyData")
        putCopyEnd = try library.function("PQputCopyEnd")
        getCopyData = try library.function("PQgetCopyData")
    }
}
