import CLibPQ
import Glibc

/// A blocking libpq connection: the supervisor is single-threaded and initialization runs before anything
/// else, so a call that waits (bounded by `connect_timeout` and `lock_timeout`) is what fits.
public final class PostgresConnection: SQLConnection {
    public let dialect = SQLDialect.postgres
    public let target: PostgresTarget
    private let handle: OpaquePointer
    private let pq: LibPQ

    /// Schema changes of concurrent replicas queue on this advisory lock ("maiUsage" as a 64-bit number) when
    /// the tables are in the default schema; the key older versions of this program take too.
    static let schemaLockKey: Int64 = 7_881_696_638_603_978_597

    /// With DATABASE_SCHEMA, a key of that database and schema (advisory locks are per database already; the
    /// name makes it explicit): installations in other schemas of one database do not wait for each other.
    static let schemaLockKeyOfSchema = """
        SELECT pg_advisory_xact_lock(('x' || left(md5(quote_ident(current_database()) || '.' || quote_ident($1)), 16))::bit(64)::bigint)
        """

    /// `timeout` bounds both the connection attempt and each wait for the schema lock.
    public init(target: PostgresTarget, timeout: Duration, readOnly: Bool = false) throws(DatabaseError) {
        let pq: LibPQ
        switch LibPQ.shared {
        case .success(let loaded): pq = loaded
        case .failure(let error):
            throw .postgres(PostgresFailure(target: target.display, sqlState: nil, message: error.description, isTransient: false))
        }
        // Decided before any attempt: what can never work must not be retried for the whole --init-timeout.
        try PostgresPreflight(target: target, pq: pq).check()
        guard let handle = Self.connect(target, timeout: timeout, pq) else {
            throw .postgres(PostgresFailure(target: target.display, sqlState: nil, message: "out of memory", isTransient: false))
        }
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
        let milliseconds = max(1, timeout.totalMilliseconds)
        try execute("SET lock_timeout = \(milliseconds)" + (readOnly ? "; SET default_transaction_read_only = on" : ""))
        if let schema = target.schema { try useSchema(schema) }
    }

    /// What Open WebUI's migrations do with DATABASE_SCHEMA (migrations/env.py lines 78–99): the schema must
    /// exist (it is not created: Open WebUI refuses to start without it, and creating one here would hide a
    /// typo), then `SET search_path TO "schema"`, so that every unqualified table is that schema's.
    private func useSchema(_ schema: String) throws(DatabaseError) {
        guard try !query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [.text(schema)]).isEmpty else {
            let shown = quotedIdentifier(schema).replacing("\n", with: "\\n").replacing("\r", with: "\\r")
            throw .unsupportedLocation("DATABASE_SCHEMA \(shown) does not exist in PostgreSQL \(target.display); Open WebUI does not create it either (create it with CREATE SCHEMA, or correct DATABASE_SCHEMA)")
        }
        try execute("SET search_path TO \(quotedIdentifier(schema))")
    }

    deinit { pq.finish(handle) }

    private static func connect(_ target: PostgresTarget, timeout: Duration, _ pq: LibPQ) -> OpaquePointer? {
        // libpq counts whole seconds and treats less than 2 as 2.
        let seconds = max(2, Int((timeout.totalMilliseconds + 999) / 1000))
        // Later pairs override earlier ones: the target may set its own timeout, never another encoding.
        let pairs = [("connect_timeout", String(seconds)), ("application_name", "mai-entrypoint")]
            + target.parameters.map { ($0.keyword, $0.value) } + [("client_encoding", "UTF8")]
        return withCStrings(pairs.map(\.0)) { keywords in
            withCStrings(pairs.map(\.1)) { values in pq.connectdbParams(keywords, values, 0) }
        }
    }

    public func execute(_ sql: String) throws(DatabaseError) {
        let result = pq.exec(handle, sql)
        defer { pq.clear(result) }
        try check(result)
    }

    public func query(_ sql: String, _ parameters: [SQLValue]) throws(DatabaseError) -> [[SQLValue]] {
        let texts = parameters.map(\.text)
        let result = withOptionalCStrings(texts) { values in
            pq.execParams(handle, sql, Int32(texts.count), nil, values, nil, nil, 0)
        }
        defer { pq.clear(result) }
        try check(result)
        return (0..<pq.ntuples(result)).map { row in
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
        guard pq.transactionStatus(handle) != PQTRANS_IDLE else { return }
        pq.clear(pq.exec(handle, "ROLLBACK"))
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

    private func check(_ result: OpaquePointer?) throws(DatabaseError) {
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
func quotedIdentifier(_ name: String) -> String {
    "\"" + name.replacing("\"", with: "\"\"") + "\""
}

/// libpq's strings, which it never returns as NULL for the calls made here; empty if it ever did.
private func text(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
}

extension Duration {
    var totalMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
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
