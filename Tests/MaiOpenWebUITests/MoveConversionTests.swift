@testable import MaiOpenWebUI
import MaiSQL
import Testing

/// The pieces of `move-to-postgresql` that decide what a value becomes: the conversion by the target's type,
/// COPY's text format both ways, the digest and the order of the tables.
@Suite("move-to-postgresql: conversion, COPY text, digest, table order")
struct MoveConversionTests {
    private func canonical(_ kind: ColumnKind, _ value: SQLiteColumnValue, validJSON: Bool = true) throws -> String? {
        var out: [UInt8] = []
        return try kind.canonical(value, validJSON: validJSON, into: &out) ? String(decoding: out, as: UTF8.self) : nil
    }

    private func text(_ kind: ColumnKind, _ text: String, validJSON: Bool = true) throws -> String? {
        try Array(text.utf8).withUnsafeBytes { raw in try canonical(kind, .text(raw), validJSON: validJSON) }
    }

    @Test("SQLite's values become the target type's canonical text; what cannot is refused, never altered")
    func conversions() throws {
        #expect(try canonical(.boolean, .integer(1)) == "t")
        #expect(try canonical(.boolean, .integer(0)) == "f")
        #expect(throws: ValueProblem.notBoolean("2")) { try canonical(.boolean, .integer(2)) }
        #expect(try canonical(.integer, .integer(-9_007_199_254_740_993)) == "-9007199254740993")
        #expect(try canonical(.integer, .real(3.0)) == "3")
        #expect(throws: ValueProblem.notInteger("3.5")) { try canonical(.integer, .real(3.5)) }
        #expect(try canonical(.real, .real(100)) == "100.0")
        #expect(try canonical(.real, .integer(2)) == "2.0")
        #expect(try canonical(.json, .integer(5)) == "5")
        #expect(try text(.json, "{\"a\": \"é\"}") == "{\"a\": \"é\"}")
        #expect(throws: ValueProblem.invalidJSON) { try text(.json, "{broken", validJSON: false) }
        #expect(try text(.timestamp, "2024-05-01 10:00:00") == "2024-05-01 10:00:00.000000")
        #expect(try text(.timestamp, "2024-05-01T10:00:00.5") == "2024-05-01 10:00:00.500000")
        #expect(throws: ValueProblem.notTimestamp("'2024-05-01 10:00:00+02:00'")) { try text(.timestamp, "2024-05-01 10:00:00+02:00") }
        #expect(throws: ValueProblem.notTimestamp("'2024-13-01 10:00:00'")) { try text(.timestamp, "2024-13-01 10:00:00") }
        #expect(try text(.date, "2024-02-29") == "2024-02-29")
        #expect(throws: ValueProblem.notDate("'2023-02-29'")) { try text(.date, "2023-02-29") }
        #expect(try canonical(.text, .null) == nil)
        #expect(throws: ValueProblem.badText("a NUL character at byte 1")) { try text(.text, "a\u{0}b") }
        let invalid: [UInt8] = [0x61, 0xC3, 0x28]
        #expect(throws: ValueProblem.badText("invalid UTF-8 at byte 1")) {
            try invalid.withUnsafeBytes { raw in _ = try canonical(.text, .blob(raw)) }
        }
        let bytes: [UInt8] = [0x00, 0xFF, 0x5C]
        #expect(try bytes.withUnsafeBytes { raw in try canonical(.bytea, .blob(raw)) } == "\\x00ff5c")
    }

    @Test("COPY text: what is escaped on the way in is read back the same, NULL and empty apart")
    func copyText() {
        let values: [[UInt8]?] = [Array("tab\there".utf8), nil, Array("".utf8), Array("back\\slash\nnew\rline".utf8), Array("Grüße".utf8)]
        var line: [UInt8] = []
        for (index, value) in values.enumerated() {
            if index > 0 { line.append(CopyText.tab) }
            if let value { CopyText.appendEscaped(value, to: &line) } else { CopyText.appendNull(to: &line) }
        }
        line.append(CopyText.newline)
        var buffer: [UInt8] = [], fields: [Range<Int>?] = []
        line.withUnsafeBytes { CopyText.decode($0, buffer: &buffer, fields: &fields) }
        let decoded = fields.map { $0.map { Array(buffer[$0]) } }
        #expect(decoded == values)
    }

    @Test("the digest: the same rows in any order give the same digest; a changed value, a NULL for an empty value, a moved boundary do not")
    func digest() {
        func digest(_ rows: [[String?]]) -> String {
            var table = TableDigest()
            for row in rows {
                var hash = RowHash()
                for field in row {
                    if let field { Array(field.utf8).withUnsafeBytes { hash.add($0) } } else { hash.addNull() }
                }
                table.add(hash)
            }
            return table.hex
        }
        let rows: [[String?]] = [["1", "a"], ["2", "b"], ["3", nil]]
        #expect(digest(rows) == digest(rows.reversed()))
        #expect(digest(rows) != digest([["1", "a"], ["2", "c"], ["3", nil]]))
        #expect(digest(rows) != digest([["1", "a"], ["2", "b"], ["3", ""]]))
        #expect(digest([["ab", "c"]]) != digest([["a", "bc"]]))
        #expect(digest(rows) != digest(rows + [["1", "a"]]))
    }

    @Test("tables after the tables they refer to; a reference to itself does not hold a table back")
    func order() {
        let order = referenceOrder(["chat", "user", "folder", "chat_message", "tag"],
                                   references: [("chat", "user"), ("chat_message", "chat"), ("folder", "folder"), ("folder", "user")])
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        #expect(order.count == 5)
        #expect(position["user"]! < position["chat"]!)
        #expect(position["chat"]! < position["chat_message"]!)
        #expect(position["user"]! < position["folder"]!)
    }
}
