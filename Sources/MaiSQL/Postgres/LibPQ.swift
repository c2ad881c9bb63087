import CLibPQ
import Glibc

/// libpq, loaded with dlopen the first time PostgreSQL is used. Linked at start-up it cost every run (SQLite,
/// `--version`, a plain supervised command) about 3 ms and 10 MB of resident memory for the TLS, Kerberos and
/// LDAP libraries it pulls in; CLibPQ now only provides its types.
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

    static let libraryName = "libpq.so.5"

    /// Loaded once per process; a missing or incompatible library is a permanent error that names it.
    static let shared: Swift.Result<LibPQ, LibPQLoadError> = Swift.Result { () throws(LibPQLoadError) in try LibPQ() }

    private init() throws(LibPQLoadError) {
        guard let library = dlopen(Self.libraryName, RTLD_NOW | RTLD_LOCAL) else {
            throw LibPQLoadError(reason: dlerror().map { String(cString: $0) } ?? "not found")
        }
        connectStartParams = try lookup(library, "PQconnectStartParams")
        connectPoll = try lookup(library, "PQconnectPoll")
        socket = try lookup(library, "PQsocket")
        sendQuery = try lookup(library, "PQsendQuery")
        sendQueryParams = try lookup(library, "PQsendQueryParams")
        consumeInput = try lookup(library, "PQconsumeInput")
        isBusy = try lookup(library, "PQisBusy")
        getResult = try lookup(library, "PQgetResult")
        status = try lookup(library, "PQstatus")
        errorMessage = try lookup(library, "PQerrorMessage")
        connectionNeedsPassword = try lookup(library, "PQconnectionNeedsPassword")
        finish = try lookup(library, "PQfinish")
        setNoticeProcessor = try lookup(library, "PQsetNoticeProcessor")
        exec = try lookup(library, "PQexec")
        clear = try lookup(library, "PQclear")
        ntuples = try lookup(library, "PQntuples")
        nfields = try lookup(library, "PQnfields")
        getisnull = try lookup(library, "PQgetisnull")
        getvalue = try lookup(library, "PQgetvalue")
        transactionStatus = try lookup(library, "PQtransactionStatus")
        resultStatus = try lookup(library, "PQresultStatus")
        resultErrorField = try lookup(library, "PQresultErrorField")
        conninfoParse = try lookup(library, "PQconninfoParse")
        conninfoFree = try lookup(library, "PQconninfoFree")
        freemem = try lookup(library, "PQfreemem")
        setnonblocking = try lookup(library, "PQsetnonblocking")
        flush = try lookup(library, "PQflush")
        putCopyData = try lookup(library, "PQputCopyData")
        putCopyEnd = try lookup(library, "PQputCopyEnd")
        getCopyData = try lookup(library, "PQgetCopyData")
    }
}

/// A function of the loaded library, as the C type the header declares.
private func lookup<Function>(_ library: UnsafeMutableRawPointer, _ name: String) throws(LibPQLoadError) -> Function {
    guard let address = dlsym(library, name) else {
        throw LibPQLoadError(reason: "\(LibPQ.libraryName) has no \(name)")
    }
    return unsafeBitCast(address, to: Function.self)
}

struct LibPQLoadError: Error, CustomStringConvertible {
    let reason: String
    var description: String { "the PostgreSQL client library could not be loaded (install libpq5): \(reason)" }
}
