import CLibPQ
import Glibc
import MaiSystem

/// A libpq connection driven asynchronously (`PQconnectStartParams`/`PQconnectPoll`, `PQsendQuery…`): every
/// wait is a `poll` on its socket in slices of at most `PostgresConnection.slice`, between which a TERM or INT
/// ends it (`StopRequests`), and the connect is bounded by this program's own timeout, which a user's
/// `connect_timeout` may shorten, never lengthen or disable (`connect_timeout=0` is "wait forever" to libpq).
public final class PostgresConnection: SQLConnection {
    public let dialect = SQLDialect.postgres
    public let target: PostgresTarget
    let handle: OpaquePointer
    let pq: LibPQ
    let stop: StopRequests
    /// A statement was left running by a stop request: nothing more is sent (a ROLLBACK would first wait for
    /// it); closing the connection (deinit) ends it and rolls its transaction back.
    var abandoned = false
    /// Called at every slice of a wait for the socket while set (see `copyIn`).
    var waiting: (() -> Void)?

    /// How long one wait on the socket lasts before a stop request is looked at.
    static let slice: Duration = .milliseconds(100)

    /// Schema changes of concurrent replicas queue on this advisory lock ("maiUsage" as a 64-bit number) when
    /// the tables are in the default schema; the key older versions of this program take too.
    static let schemaLockKey: Int64 = 7_881_696_638_603_978_597

    /// With DATABASE_SCHEMA, a key of that database and schema (advisory locks are per database already; the
    /// name makes it explicit): installations in other schemas of one database do not wait for each other.
    static let schemaLockKeyOfSchema = """
        SELECT pg_advisory_xact_lock(('x' || left(md5(quote_ident(current_database()) || '.' || quote_ident($1)), 16))::bit(64)::bigint)
        """

    /// `timeout` bounds both the connection attempt and each wait for the schema lock.
    public init(target: PostgresTarget, timeout: Duration, readOnly: Bool = false,
                stop: StopRequests = .never()) throws(DatabaseError) {
        let pq: LibPQ
        switch LibPQ.shared {
        case .success(let loaded): pq = loaded
        case .failure(let error):
            throw .postgres(PostgresFailure(target: target.display, sqlState: nil, message: error.description, isTransient: false))
        }
        // Decided before any attempt: what can never work must not be retried for the whole --init-timeout.
        try PostgresPreflight(target: target, pq: pq).check()
        let handle = try Self.connect(target, timeout: timeout, stop: stop, pq)
        guard pq.status(handle) == CONNECTION_OK else {
            let raw = text(pq.errorMessage(handle))
            let needsPassword = pq.connectionNeedsPassword(handle) == 1
            pq.finish(handle)
            let message = needsPassword ? "a password is required but none was given" : conciseLibpqMessage(raw)
            throw .postgres(PostgresFailure(target: target.display, sqlState: nil, message: target.redact(message),
                                            isTransient: !needsPassword && PostgresFailure.connectionIsTransient(message)))
        }
        // The default notice processor prints to stderr ("relation … already exists, skipping").
        _ = pq.setNoticeProcessor(handle, { _, _ in }, nil)
        self.target = target
        self.handle = handle
        self.pq = pq
        self.stop = stop
        let milliseconds = max(1, timeout.wholeMilliseconds)
        try execute("SET lock_timeout = \(milliseconds)" + (readOnly ? "; SET default_transaction_read_only = on" : ""))
        if let schema = target.schema { try useSchema(schema) }
    }

    /// What Open WebUI's migrations do with DATABASE_SCHEMA (migrations/env.py lines 78–99): the schema must
    /// exist (it is not created: Open WebUI refuses to start without it, and creating one here would hide a
    /// typo), then `SET search_path TO "schema"`, so that every unqualified table is that schema's.
    private func useSchema(_ schema: String) throws(DatabaseError) {
        guard try !query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [.text(schema)]).isEmpty else {
            let shown = escapingControlCharacters(quotedIdentifier(schema))
            throw .unsupportedLocation("DATABASE_SCHEMA \(shown) does not exist in PostgreSQL \(target.display); Open WebUI does not create it either (create it with CREATE SCHEMA, or correct DATABASE_SCHEMA)")
        }
        try execute("SET search_path TO \(quotedIdentifier(schema))")
    }

    deinit { pq.finish(handle) }

    /// Connects with the connect polled, not awaited: a server that accepts and never answers is given up at the
    /// bound, and a stop request ends the attempt at once. Returns the handle, connected or failed.
    private static func connect(_ target: PostgresTarget, timeout: Duration, stop: StopRequests,
                                _ pq: LibPQ) throws(DatabaseError) -> OpaquePointer {
        // libpq counts whole seconds and treats less than 2 as 2; a user's value may only shorten ours.
        let ours = max(2, Int((timeout.wholeMilliseconds + 999) / 1000))
        let theirs = target.parameters.last { $0.keyword == "connect_timeout" }.flatMap { Int($0.value) }
        let seconds = theirs.map { $0 > 0 ? max(2, min($0, ours)) : ours } ?? ours
        // Later pairs override earlier ones: the target may set its own options, never this bound or another encoding.
        let pairs = [("application_name", "mai-entrypoint")]
            + target.parameters.filter { $0.keyword != "connect_timeout" }.map { ($0.keyword, $0.value) }
            + [("connect_timeout", String(seconds)), ("client_encoding", "UTF8")]
        let started = withCStrings(pairs.map(\.0)) { keywords in
            withCStrings(pairs.map(\.1)) { values in pq.connectStartParams(keywords, values, 0) }
        }
        guard let handle = started else {
            throw .postgres(PostgresFailure(target: target.display, sqlState: nil, message: "out of memory", isTransient: false))
        }
        guard pq.status(handle) != CONNECTION_BAD else { return handle }
        let deadline = MonotonicInstant.now().advanced(by: .seconds(seconds))
        // After PQconnectStart, as if PQconnectPoll had said PGRES_POLLING_WRITING (libpq's documentation).
        var polling = PGRES_POLLING_WRITING
        while polling == PGRES_POLLING_WRITING || polling == PGRES_POLLING_READING {
            let events = Int16(polling == PGRES_POLLING_READING ? POLLIN : POLLOUT)
            let ready: Bool
            do {
                ready = try waitForSocket(pq.socket(handle), events: events, until: deadline, stop: stop)
            } catch {
                pq.finish(handle)
                throw error
            }
            guard ready else {
                pq.finish(handle)
                throw .postgres(PostgresFailure(target: target.display, sqlState: nil,
                                                message: "timeout expired after \(seconds) s", isTransient: true))
            }
            polling = pq.connectPoll(handle)
        }
        return handle
    }

    public func execute(_ sql: String) throws(DatabaseError) {
        try run({ pq.sendQuery(handle, sql) }, keepRows: false)
    }

    public func query(_ sql: String, _ parameters: [SQLValue]) throws(DatabaseError) -> [[SQLValue]] {
        let texts = parameters.map(\.text)
        return try run({
            withOptionalCStrings(texts) { values in
                pq.sendQueryParams(handle, sql, Int32(texts.count), nil, values, nil, nil, 0)
            }
        }, keepRows: true)
    }

    /// Sends, then reads every result, waiting on the socket (a stop request ends the wait: the connection is
    /// then closed, which rolls its transaction back). The rows of the last result; the first failure thrown.
    @discardableResult
    private func run(_ send: () -> Int32, keepRows: Bool) throws(DatabaseError) -> [[SQLValue]] {
        guard !abandoned else { throw .interrupted(stop.received ?? .terminate) }
        guard send() == 1 else {
            try check(nil)
            return []
        }
        return try readResults(keepRows: keepRows)
    }

    /// Reads results until libpq has no more; stops early at a COPY's start (`copying`), whose result it returns.
    @discardableResult
    func readResults(keepRows: Bool, untilCopy copying: ExecStatusType? = nil) throws(DatabaseError) -> [[SQLValue]] {
        var rows: [[SQLValue]] = [], failure: DatabaseError?
        while true {
            try awaitInput()
            guard let result = pq.getResult(handle) else { break }
            defer { pq.clear(result) }
            if let copying, pq.resultStatus(result) == copying, failure == nil { return [] }
            do {
                try check(result)
                if keepRows { rows = self.rows(result) }
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        return rows
    }

    /// Waits until libpq can hand out the next result or COPY row without blocking.
    func awaitInput() throws(DatabaseError) {
        while pq.isBusy(handle) == 1 {
            try awaitSocket(Int16(POLLIN))
            guard pq.consumeInput(handle) == 1 else { return try check(nil) }
        }
    }

    /// One wait for the socket, unbounded but ended by a stop request (the connection is then abandoned);
    /// `waiting` runs at every slice of it (a COPY's progress while the server is slow).
    func awaitSocket(_ events: Int16) throws(DatabaseError) {
        do {
            _ = try Self.waitForSocket(pq.socket(handle), events: events, until: nil, stop: stop, tick: waiting)
        } catch {
            abandoned = true
            throw error
        }
    }

    private func rows(_ result: OpaquePointer) -> [[SQLValue]] {
        (0..<pq.ntuples(result)).map { row in
            (0..<pq.nfields(result)).map { column in
                pq.getisnull(result, row, column) == 1 ? .null : .text(text(pq.getvalue(result, row, column)))
            }
        }
    }

    public func beginLocked() throws(DatabaseError) {
        guard let schema = target.schema else {
            try execute("BEGIN; SELECT pg_advisory_xact_lock(\(Self.schemaLockKey))")
            return
        }
        try execute("BEGIN")
        _ = try query(Self.schemaLockKeyOfSchema, [.text(schema)])
    }

    public func rollbackQuietly() {
        guard !abandoned, pq.transactionStatus(handle) != PQTRANS_IDLE else { return }
        pq.clear(pq.exec(handle, "ROLLBACK"))
    }

    /// Waits until the socket is ready for `events`, in slices, looking at the stop requests between them.
    /// Returns false at the deadline; throws `.interrupted` on a stop request.
    private static func waitForSocket(_ socket: Int32, events: Int16, until deadline: MonotonicInstant?,
                                      stop: StopRequests, tick: (() -> Void)? = nil) throws(DatabaseError) -> Bool {
        while true {
            try stop.check()
            tick?()
            var wait = PostgresConnection.slice
            if let deadline {
                let left = MonotonicInstant.now().duration(to: deadline)
                if left <= .zero { return false }
                wait = min(wait, left)
            }
            var descriptor = pollfd(fd: socket, events: events, revents: 0)
            let ready = poll(&descriptor, 1, Int32(max(1, wait.wholeMilliseconds)))
            // A failed poll (EINTR) or an error on the socket: libpq's next call tells what happened.
            if ready != 0 { return true }
        }
    }

    public func columnNames(of table: String) throws(DatabaseError) -> [String] {
        try query("""
            SELECT column_name::text FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position
            """, [.text(table)]).compactMap { $0.first?.text }
    }

    public func tableShape(of table: String) throws(DatabaseError) -> TableShape? {
        let kind = try query("""
            SELECT table_type::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1
            """, [.text(table)])
        guard let type = kind.first?.first?.text else { return nil }
        let rows = try query("""
            SELECT c.column_name::text, c.data_type::text, (c.is_nullable = 'NO')::int,
                   (c.column_default IS NOT NULL OR c.is_identity = 'YES')::int,
                   (EXISTS (SELECT 1 FROM information_schema.table_constraints t
                            JOIN information_schema.key_column_usage k
                              ON k.constraint_name = t.constraint_name AND k.table_schema = t.table_schema
                            WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = c.table_schema
                              AND t.table_name = c.table_name AND k.column_name = c.column_name))::int
            FROM information_schema.columns c
            WHERE c.table_schema = current_schema() AND c.table_name = $1 ORDER BY c.ordinal_position
            """, [.text(table)])
        let columns = rows.map { row in
            TableShape.Column(name: row[0].text ?? "", type: row[1].text ?? "", notNull: row[2].integer == 1,
                              fillsItself: row[3].integer == 1, primaryKey: row[4].integer == 1)
        }
        return TableShape(kind: type == "VIEW" ? .view : .table, columns: columns)
    }

    /// The error of a failed result, or of the connection when there is no result (a failed send or read).
    func check(_ result: OpaquePointer?) throws(DatabaseError) {
        let status = pq.resultStatus(result)
        if result != nil && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) { return }
        let sqlState = result.flatMap { pq.resultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) }
        let primary = result.flatMap { pq.resultErrorField($0, Int32(UInt8(ascii: "M"))) }.map { String(cString: $0) }
        let lost = pq.status(handle) != CONNECTION_OK
        let message = primary ?? conciseLibpqMessage(text(pq.errorMessage(handle)))
        throw .postgres(PostgresFailure(target: target.display, sqlState: sqlState, message: target.redact(message),
                                        isTransient: lost || PostgresFailure.statementIsTransient(sqlState)))
    }
}

/// A PostgreSQL quoted identifier (`"Tenant ""A"""`), which keeps the name's case and any character.
public func quotedIdentifier(_ name: String) -> String {
    "\"" + name.replacing("\"", with: "\"\"") + "\""
}

/// libpq's strings, which it never returns as NULL for the calls made here; empty if it ever did.
private func text(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
}

/// Hands C an array of NUL-terminated strings ending in NULL, valid for the duration of `body`.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    withOptionalCStrings(strings.map { Optional($0) }, body)
}

func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
    defer { for copy in copies { free(copy) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
