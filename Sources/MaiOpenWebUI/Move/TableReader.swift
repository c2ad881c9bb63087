import MaiSQL
/// Reads one source table row by row, converts each value by the target column's kind, hashes the canonical
/// values into the table's digest and appends the row to a COPY buffer. The first value that cannot move is
/// kept in `problem` (with its table, column and key) and ends the table.
final class TableReader {
    private let table: PlannedTable
    private let statement: SQLiteStatement
    /// Where each column's `json_valid` is in the row (json columns only), and where the key's columns are.
    private let validity: [Int32?]
    private let keyColumns: [Int32]
    private var field: [UInt8] = []
    private(set) var digest = TableDigest()
    private(set) var problem: MoveError?

    init(_ table: PlannedTable, _ source: SQLiteConnection) throws(DatabaseError) {
        let columns = table.source.columns
        var selected = columns.map(quotedIdentifier)
        var validity: [Int32?] = []
        for (column, kind) in zip(columns, table.kinds) {
            guard kind == .json else { validity.append(nil); continue }
            // SQLite's own check (RFC 8259 text), in the same pass as the value: no second read of the table.
            validity.append(Int32(selected.count))
            selected.append("json_valid(\(quotedIdentifier(column)))")
        }
        if table.source.key.isEmpty {
            keyColumns = [Int32(selected.count)]
            selected.append("rowid")
        } else {
            keyColumns = table.source.key.compactMap { key in columns.firstIndex(of: key).map { Int32($0) } }
        }
        self.table = table
        self.validity = validity
        statement = try SQLiteStatement("SELECT \(selected.joined(separator: ", ")) FROM \(quotedIdentifier(table.source.name))", on: source)
    }

    /// Appends the next row to `chunk`; false at the end of the table or at the first value that cannot move.
    func next(into chunk: inout [UInt8]) throws(DatabaseError) -> Bool {
        guard problem == nil, try statement.step() else { return false }
        let rowStart = chunk.count
        var hash = RowHash()
        for (index, kind) in table.kinds.enumerated() {
            if index > 0 { chunk.append(CopyText.tab) }
            field.removeAll(keepingCapacity: true)
            let valid = validity[index].map { statement.value($0).isTrue } ?? false
            let present: Bool
            do {
                present = try kind.canonical(statement.value(Int32(index)), validJSON: valid, into: &field)
            } catch {
                problem = .badValue(table: table.source.name, column: table.source.columns[index], row: keyText(), problem: error)
                chunk.removeSubrange(rowStart...)
                return false
            }
            if present {
                field.withUnsafeBytes { hash.add($0) }
                CopyText.appendEscaped(field, to: &chunk)
            } else {
                hash.addNull()
                CopyText.appendNull(to: &chunk)
            }
        }
        chunk.append(CopyText.newline)
        digest.add(hash)
        return true
    }

    /// The row's key as `id=…` (or `rowid=…`), for the error line.
    private func keyText() -> String {
        let names = table.source.key.isEmpty ? ["rowid"] : table.source.key
        return zip(names, keyColumns).map { name, column in
            let value: String = switch statement.value(column) {
            case .null: "NULL"
            case .integer(let number): String(number)
            case .real(let number): String(number)
            case .text(let bytes), .blob(let bytes): String(decoding: bytes.prefix(80), as: UTF8.self)
            }
            return "\(name)=\(value)"
        }.joined(separator: ", ")
    }

    /// The digest of what the target holds for the table's columns, read with COPY TO in the canonical form.
    static func digest(of table: PlannedTable, in target: PostgresConnection) throws(DatabaseError) -> TableDigest {
        let expressions = zip(table.source.columns, table.kinds).map { $1.targetExpression($0) }
        var digest = TableDigest(), buffer: [UInt8] = [], fields: [Range<Int>?] = [], field: [UInt8] = []
        let sql = "COPY (SELECT \(expressions.joined(separator: ", ")) FROM \(quotedIdentifier(table.source.name))) TO STDOUT"
        try target.copyOut(sql) { line in
            CopyText.decode(line, buffer: &buffer, fields: &fields)
            var hash = RowHash()
            for (range, kind) in zip(fields, table.kinds) {
                guard let range else { hash.addNull(); continue }
                field.removeAll(keepingCapacity: true)
                kind.normalizeTarget(buffer[range], into: &field)
                field.withUnsafeBytes { hash.add($0) }
            }
            digest.add(hash)
        }
        return digest
    }
}

private extension SQLiteColumnValue {
    var isTrue: Bool {
        if case .integer(let value) = self { return value != 0 }
        return false
    }
}
