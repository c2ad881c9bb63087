import MaiSQL
import MaiSystem
import MaiUsageTracking

/// Moves every row of Open WebUI's SQLite database (and of the usage tables beside it) into a PostgreSQL
/// database whose schema Open WebUI's own migrations made, at the same Alembic revision. One transaction on
/// the target: the checks, the emptying asked for, the copy (COPY, values converted by the target column's
/// type), the sequences and the verification are committed together or not at all. The source is read in one
/// read transaction of a read-only connection: it is never written.
public struct DatabaseMove {
    public enum Event {
        case started(tables: Int, rows: Int)
        /// After every row (the receiver decides how often to show it): the table's rows, and all moved so far.
        case copied(table: String, rows: Int, ofRows: Int, moved: Tally)
        case verifying
    }

    /// Rows and bytes (as COPY text) sent so far.
    public struct Tally: Sendable {
        public var rows = 0
        public var bytes = 0
    }

    public let replace: Bool
    private let stop: StopRequests
    private let progress: (Event) -> Void

    /// Tables a first start of Open WebUI or of this program fills by itself: their rows are replaced by the
    /// source's without --replace (the server's config defaults, the organization row and migration records).
    static let seededTables: Set<String> = ["config", Migrator.recordTable, AppUsageTables.organizations]
    /// Rows here mean a server that has been used: refused unless --replace.
    static let userTables = ["user", "auth", "chat"]
    /// The tables this program makes on a target that lacks them (Open WebUI's own migrations do not).
    static let ownTables = [Migrator.recordTable] + AppUsageTables.all

    public init(replace: Bool, stop: StopRequests, progress: @escaping (Event) -> Void) {
        self.replace = replace
        self.stop = stop
        self.progress = progress
    }

    /// Whether the target holds Open WebUI's schema: its Alembic revisions, or nil for none.
    public static func targetRevisions(_ target: PostgresConnection) throws(DatabaseError) -> [String]? {
        try SourceCatalog.revisions(target)
    }

    public func run(from source: SQLiteConnection, to target: PostgresConnection) throws(MoveError) -> MoveReport {
        do {
            try source.execute("BEGIN")
            defer { source.rollbackQuietly() }
            let lz4 = Self.compressWithLZ4(target)
            try target.execute("BEGIN; SET LOCAL TIME ZONE 'UTC'")
            var report = try moveInTransaction(source, target)
            report.compressedWithLZ4 = lz4
            try target.execute("COMMIT")
            return report
        } catch let error as MoveError {
            target.rollbackQuietly()
            throw error
        } catch let error as DatabaseError {
            target.rollbackQuietly()
            throw .database(error)
        } catch {
            target.rollbackQuietly()
            throw .database(.unsupportedLocation("\(error)"))
        }
    }

    /// Chat JSON is most of a webui.db, and PostgreSQL compresses every large value it stores (TOAST): with its
    /// default, pglz, that was half of the whole move's time (measured, scripts/bench-move); lz4 took half as
    /// long. For this session only, when the server has it (PostgreSQL 14+ built with lz4, as Debian's and the
    /// official images are): the values read back the same, and later writes use the server's own default.
    /// Outside the transaction, so that a server without it refuses the setting and nothing else.
    private static func compressWithLZ4(_ target: PostgresConnection) -> Bool {
        (try? target.execute("SET default_toast_compression = lz4")) != nil
    }

    private func moveInTransaction(_ source: SQLiteConnection, _ target: PostgresConnection) throws -> MoveReport {
        let plan = try MovePlan.make(source: source, target: target, replace: replace)
        try empty(plan, target)
        for table in plan.tablesToCreate {
            try target.execute(table == Migrator.recordTable ? Migrator.createRecordTable : AppUsageTables.create(table))
            for index in AppUsageTables.indexes where index.table == table { try target.execute(AppUsageTables.createIndex(index)) }
        }
        progress(.started(tables: plan.tables.count, rows: plan.tables.reduce(0) { $0 + $1.source.rows }))
        let copyStarted = MonotonicInstant.now()
        var sent: [String: TableDigest] = [:], moved = Tally()
        for table in plan.tables { sent[table.source.name] = try copy(table, source, target, moved: &moved) }
        for table in plan.tables { try advanceSequences(table, target) }
        let verifyStarted = MonotonicInstant.now()
        progress(.verifying)
        var results: [MovedTable] = []
        for table in plan.tables {
            let found = try TableReader.digest(of: table, in: target)
            results.append(MovedTable(name: table.source.name, sent: sent[table.source.name] ?? TableDigest(), found: found))
        }
        let report = MoveReport(tables: results, emptied: plan.emptied, copyDuration: copyStarted.duration(to: verifyStarted),
                                verifyDuration: verifyStarted.duration(to: .now()))
        guard results.allSatisfy(\.matches) else { throw MoveError.verificationFailed(report) }
        return report
    }

    /// --replace: every table of the target but Alembic's, in one statement (it may refer to them all).
    /// Otherwise only the rows a first start seeds, which the source's rows replace.
    private func empty(_ plan: MovePlan, _ target: PostgresConnection) throws(DatabaseError) {
        if replace {
            let names = plan.targetTables.filter { $0 != alembicTable }.sorted().map(quotedIdentifier)
            if !names.isEmpty { try target.execute("TRUNCATE TABLE " + names.joined(separator: ", ")) }
            return
        }
        for (table, _) in plan.filled { try target.execute("DELETE FROM \(quotedIdentifier(table))") }
    }

    private func copy(_ table: PlannedTable, _ source: SQLiteConnection, _ target: PostgresConnection,
                      moved: inout Tally) throws -> TableDigest {
        let reader = try TableReader(table, source)
        let columns = table.source.columns.map(quotedIdentifier).joined(separator: ", ")
        let name = table.source.name, total = table.source.rows
        let counts = Counts(moved)
        let report = { [progress] in progress(.copied(table: name, rows: counts.done, ofRows: total, moved: counts.tally)) }
        // Every row is reported, and every wait for the server: a slow target (big rows, a trigger) must not hide
        // the copy's progress.
        try target.copyIn("COPY \(quotedIdentifier(name)) (\(columns)) FROM STDIN", waiting: report) { (chunk: inout [UInt8]) throws(DatabaseError) -> Bool in
            try stop.check()
            while chunk.count < PostgresConnection.copyChunk {
                let before = chunk.count
                guard try reader.next(into: &chunk) else { return false }
                counts.add(bytes: chunk.count - before)
                report()
            }
            return true
        }
        if let problem = reader.problem { throw problem }
        moved = counts.tally
        return reader.digest
    }

    /// Serial and identity columns continue after the largest id copied, as they would have after inserts.
    private func advanceSequences(_ table: PlannedTable, _ target: PostgresConnection) throws(DatabaseError) {
        let name = quotedIdentifier(table.source.name)
        for column in table.numbered {
            _ = try target.query("""
                SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX(\(quotedIdentifier(column))) FROM \(name)), 0) + 1, false)
                """, [.text(name), .text(column)])
        }
    }
}

/// A table's rows so far and the whole move's, shared by the row loop and the waits for the server.
private final class Counts {
    private(set) var done = 0
    private(set) var tally: DatabaseMove.Tally

    init(_ tally: DatabaseMove.Tally) { self.tally = tally }

    func add(bytes: Int) {
        done += 1
        tally.rows += 1
        tally.bytes += bytes
    }
}

/// One table of the target that the move writes, as the plan found it.
struct PlannedTable {
    let source: SourceTable
    /// The target's kind of each source column, in the source's column order.
    let kinds: [ColumnKind]
    let numbered: [String]
}

/// Every check made before anything is written; a refusal names what it found.
struct MovePlan {
    let tables: [PlannedTable]
    let tablesToCreate: [String]
    let targetTables: [String]
    /// The target's tables that held rows (emptied: with --replace all, otherwise only these seeded ones).
    let filled: [(String, Int)]
    var emptied: [(String, Int)] { filled }

    static func make(source: SQLiteConnection, target: PostgresConnection, replace: Bool) throws -> MovePlan {
        guard let sourceRevisions = try SourceCatalog.revisions(source) else { throw MoveError.sourceWithoutSchema(source.path) }
        guard let targetRevisions = try SourceCatalog.revisions(target) else { throw MoveError.targetWithoutSchema }
        guard sourceRevisions == targetRevisions else {
            throw MoveError.revisionsDiffer(source: sourceRevisions, target: targetRevisions)
        }
        let sourceTables = try SourceCatalog.tables(source)
        let targetTables = try TargetCatalog.tables(target)
        var planned: [String: PlannedTable] = [:], toCreate: [String] = []
        for table in sourceTables {
            if let existing = targetTables[table.name] {
                planned[table.name] = try plannedTable(table, existing)
            } else if DatabaseMove.ownTables.contains(table.name) {
                try checkAppShape(table.name, source)
                toCreate.append(table.name)
                planned[table.name] = PlannedTable(source: table, kinds: try ownKinds(table), numbered: [])
            } else {
                throw MoveError.tableMissing(table.name)
            }
        }
        for table in AppUsageTables.all where planned[table] != nil && targetTables[table] != nil {
            try checkAppShape(table, source)
        }
        let filled = try TargetCatalog.filled(target, among: Array(targetTables.keys))
        if !replace {
            let used = filled.filter { DatabaseMove.userTables.contains($0.0) }
            if !used.isEmpty { throw MoveError.targetHoldsUsers(used) }
            let other = filled.filter { !DatabaseMove.seededTables.contains($0.0) }
            if !other.isEmpty { throw MoveError.targetHoldsRows(other) }
        }
        let order = referenceOrder(Array(planned.keys), references: try TargetCatalog.references(target))
        return MovePlan(tables: order.compactMap { planned[$0] }, tablesToCreate: toCreate,
                        targetTables: Array(targetTables.keys), filled: filled)
    }

    private static func plannedTable(_ table: SourceTable, _ target: TargetTable) throws(MoveError) -> PlannedTable {
        var kinds: [ColumnKind] = []
        for column in table.columns {
            guard let type = target.types[column] else { throw .columnMissing(table: table.name, column: column) }
            if ColumnKind.unsupported(type) { throw .unsupportedType(table: table.name, column: column, type: type) }
            kinds.append(ColumnKind(postgresType: type))
        }
        return PlannedTable(source: table, kinds: kinds, numbered: target.numbered.filter(table.columns.contains))
    }

    /// The usage tables move in the app's shape only: an earlier shape is carried to it by `init-db` first.
    private static func checkAppShape(_ table: String, _ source: SQLiteConnection) throws {
        guard AppUsageTables.all.contains(table) else { return }
        guard let shape = try source.tableShape(of: table), AppUsageTables.isAppShape(table, shape, .sqlite) else {
            throw MoveError.earlierUsageShape(table)
        }
    }

    /// The kinds of a table this program makes on the target: its own column types, as PostgreSQL names them.
    private static func ownKinds(_ table: SourceTable) throws(MoveError) -> [ColumnKind] {
        let declared = Dictionary((AppUsageTables.columns[table.name] ?? []).map { ($0.name, $0.type) }, uniquingKeysWith: { a, _ in a })
        let records = ["version": "INTEGER", "name": "TEXT", "checksum": "TEXT", "applied_at": "TEXT"]
        return try table.columns.map { (column) throws(MoveError) -> ColumnKind in
            guard let type = declared[column] ?? (table.name == Migrator.recordTable ? records[column] : nil) else {
                throw .columnMissing(table: table.name, column: column)
            }
            switch type {
            case "VARCHAR", "TEXT": return .text
            case "FLOAT": return .real
            case "INTEGER", "BIGINT": return .integer
            case "DATE": return .date
            default: return .other(type)
            }
        }
    }
}

public struct MovedTable: Sendable {
    public let name: String
    let sent: TableDigest
    let found: TableDigest

    public var rows: Int { sent.rows }
    public var rowsFound: Int { found.rows }
    public var digest: String { sent.hex }
    public var digestFound: String { found.hex }
    public var matches: Bool { sent == found }
}

public struct MoveReport: Sendable {
    public let tables: [MovedTable]
    public let emptied: [(String, Int)]
    public let copyDuration: Duration
    public let verifyDuration: Duration
    /// The rows were written with lz4 TOAST compression (see `compressWithLZ4`).
    public var compressedWithLZ4 = false

    public var rows: Int { tables.reduce(0) { $0 + $1.rows } }
}

public enum MoveError: Error, CustomStringConvertible {
    case database(DatabaseError)
    case sourceWithoutSchema(String)
    case targetWithoutSchema
    case revisionsDiffer(source: [String], target: [String])
    case targetHoldsUsers([(String, Int)])
    case targetHoldsRows([(String, Int)])
    case tableMissing(String)
    case columnMissing(table: String, column: String)
    case unsupportedType(table: String, column: String, type: String)
    case earlierUsageShape(String)
    case badValue(table: String, column: String, row: String, problem: ValueProblem)
    case verificationFailed(MoveReport)

    public var description: String {
        switch self {
        case .database(let error): error.description
        case .sourceWithoutSchema(let path):
            "\(path) has no Open WebUI schema (no \(alembicTable) table): nothing to move"
        case .targetWithoutSchema:
            "the target has no Open WebUI schema"
        case .revisionsDiffer(let source, let target):
            "refusing to move: the target is at Open WebUI revision \(target.joined(separator: ", ")), webui.db at revision \(source.joined(separator: ", ")); start both on the same Open WebUI image first (a target made by another version must be made again)"
        case .targetHoldsUsers(let tables):
            "refusing to move: the target already holds users (\(counts(tables))); nothing was written. --replace empties the target's tables first, in the same transaction"
        case .targetHoldsRows(let tables):
            "refusing to move: the target's tables hold rows (\(counts(tables))); nothing was written. --replace empties the target's tables first, in the same transaction"
        case .tableMissing(let table):
            "refusing to move: the target has no table \(quotedIdentifier(table)), which webui.db has (a table of another version or of a plugin); nothing was written"
        case .columnMissing(let table, let column):
            "refusing to move: the target's table \(quotedIdentifier(table)) has no column \(quotedIdentifier(column)), which webui.db has; nothing was written"
        case .unsupportedType(let table, let column, let type):
            "refusing to move: column \(quotedIdentifier(column)) of table \(quotedIdentifier(table)) is \(type) on the target, which this command cannot verify; nothing was written"
        case .earlierUsageShape(let table):
            "refusing to move: the usage table \(table) in webui.db is not in the app's shape yet; run `mai-entrypoint init-db` first (it carries it over, after a backup); nothing was written"
        case .badValue(let table, let column, let row, let problem):
            "cannot move table \(quotedIdentifier(table)), column \(quotedIdentifier(column)), row \(row): \(problem); nothing was written, webui.db is unchanged"
        case .verificationFailed(let report):
            "verification failed for " + report.tables.filter { !$0.matches }.map {
                "\($0.name) (sent \($0.rows) rows, digest \($0.digest); found \($0.rowsFound), \($0.digestFound))"
            }.joined(separator: "; ") + "; the transaction was rolled back, nothing was written"
        }
    }

    /// The stop request that ended the move, if that is what ended it.
    public var interruption: Signal? {
        if case .database(.interrupted(let signal)) = self { return signal }
        return nil
    }
}

private func counts(_ tables: [(String, Int)]) -> String {
    tables.map { "\($0.1) rows in \(quotedIdentifier($0.0))" }.joined(separator: ", ")
}
