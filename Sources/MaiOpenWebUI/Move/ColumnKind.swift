import MaiSQL

/// What a column of the target holds, from `information_schema.columns.data_type`: it decides how a SQLite value
/// is converted (SQLite's 0/1 to a boolean, JSON text checked, text timestamps read) and how the target's value
/// is read back for the digest. Both sides end in the same text, the canonical form, which is also what COPY gets.
enum ColumnKind: Equatable {
    case integer, boolean, json, text, real, timestamp, date, bytea
    /// A type without a rule here: the text is passed as it is, and the digest shows whether the target kept it.
    case other(String)

    init(postgresType type: String) {
        switch type {
        case "bigint", "integer", "smallint": self = .integer
        case "boolean": self = .boolean
        case "json": self = .json
        case "text", "character varying", "character": self = .text
        case "double precision", "real", "numeric": self = .real
        case "timestamp without time zone", "timestamp with time zone": self = .timestamp
        case "date": self = .date
        case "bytea": self = .bytea
        default: self = .other(type)
        }
    }

    /// Types whose canonical form the target cannot give back as text it was given: refused before anything is
    /// written (`jsonb` reorders keys and drops duplicates, so no digest of the text could match).
    static func unsupported(_ type: String) -> Bool { type == "jsonb" }

    /// The expression that reads a column of the target in its canonical form (the session's time zone is UTC).
    func targetExpression(_ column: String) -> String {
        let name = quotedIdentifier(column)
        switch self {
        case .boolean: return "CASE \(name) WHEN true THEN 't' WHEN false THEN 'f' END"
        case .timestamp: return "to_char(\(name), 'YYYY-MM-DD HH24:MI:SS.US')"
        case .date: return "to_char(\(name), 'YYYY-MM-DD')"
        case .bytea: return "'\\x' || encode(\(name), 'hex')"
        case .integer, .json, .text, .real, .other: return "\(name)::text"
        }
    }

    /// Appends the canonical text of a SQLite value to `out`; false for NULL. `validJSON` is SQLite's own
    /// `json_valid` of the value, read in the same row (json columns only).
    func canonical(_ value: SQLiteColumnValue, validJSON: Bool, into out: inout [UInt8]) throws(ValueProblem) -> Bool {
        switch value {
        case .null:
            return false
        case .integer(let number):
            try appendInteger(number, into: &out)
        case .real(let number):
            try appendReal(number, into: &out)
        case .text(let bytes):
            try appendText(bytes, validJSON: validJSON, into: &out)
        case .blob(let bytes):
            try appendBlob(bytes, validJSON: validJSON, into: &out)
        }
        return true
    }

    private func appendInteger(_ number: Int64, into out: inout [UInt8]) throws(ValueProblem) {
        switch self {
        case .boolean:
            // SQLAlchemy's Boolean on SQLite: 0 and 1 (with a CHECK constraint in older tables).
            guard number == 0 || number == 1 else { throw .notBoolean("\(number)") }
            out.append(number == 1 ? UInt8(ascii: "t") : UInt8(ascii: "f"))
        case .timestamp, .date, .bytea:
            throw .wrongType("an integer")
        case .integer, .json, .text, .other:
            // A JSON column has NUMERIC affinity in SQLite: JSON text that is a number is stored as one.
            out.append(contentsOf: String(number).utf8)
        case .real:
            out.append(contentsOf: canonicalReal(Double(number)).utf8)
        }
    }

    private func appendReal(_ number: Double, into out: inout [UInt8]) throws(ValueProblem) {
        switch self {
        case .integer:
            guard let exact = Int64(exactly: number) else { throw .notInteger(String(number)) }
            out.append(contentsOf: String(exact).utf8)
        case .real, .text, .other:
            out.append(contentsOf: canonicalReal(number).utf8)
        case .json:
            guard number.isFinite else { throw .invalidJSON }
            out.append(contentsOf: canonicalReal(number).utf8)
        case .boolean, .timestamp, .date, .bytea:
            throw .wrongType("a real number")
        }
    }

    private func appendText(_ bytes: UnsafeRawBufferPointer, validJSON: Bool, into out: inout [UInt8]) throws(ValueProblem) {
        switch self {
        case .integer:
            guard let number = Int64(decimal: bytes) else { throw .notInteger(preview(bytes)) }
            out.append(contentsOf: String(number).utf8)
        case .real:
            guard let number = Double(decimal: bytes) else { throw .notReal(preview(bytes)) }
            out.append(contentsOf: canonicalReal(number).utf8)
        case .boolean:
            switch String(decoding: bytes, as: UTF8.self) {
            case "1", "true", "t": out.append(UInt8(ascii: "t"))
            case "0", "false", "f": out.append(UInt8(ascii: "f"))
            default: throw .notBoolean(preview(bytes))
            }
        case .json:
            guard validJSON else { throw .invalidJSON }
            try appendUnicode(bytes, into: &out)
        case .timestamp:
            guard let text = CanonicalTime.timestamp(bytes) else { throw .notTimestamp(preview(bytes)) }
            out.append(contentsOf: text.utf8)
        case .date:
            guard let text = CanonicalTime.date(bytes) else { throw .notDate(preview(bytes)) }
            out.append(contentsOf: text.utf8)
        case .bytea:
            appendHex(bytes, into: &out)
        case .text, .other:
            try appendUnicode(bytes, into: &out)
        }
    }

    private func appendBlob(_ bytes: UnsafeRawBufferPointer, validJSON: Bool, into out: inout [UInt8]) throws(ValueProblem) {
        switch self {
        case .bytea: appendHex(bytes, into: &out)
        case .text, .json, .other: try appendText(bytes, validJSON: validJSON, into: &out)
        default: throw .wrongType("a blob")
        }
    }

    /// PostgreSQL's text holds UTF-8 without NUL; anything else would be refused by the server mid-COPY.
    private func appendUnicode(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) throws(ValueProblem) {
        if let problem = UTF8Check.problem(bytes) { throw .badText(problem) }
        out.append(contentsOf: bytes)
    }

    private func appendHex(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "x"))
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
    }

    /// A target value read back (COPY TO) in its canonical form: only numbers are printed differently by
    /// PostgreSQL (`100` for Swift's `100.0`), so they are read and printed again; everything else is as sent.
    func normalizeTarget(_ field: ArraySlice<UInt8>, into out: inout [UInt8]) {
        guard self == .real, let number = field.withUnsafeBytes({ Double(decimal: $0) }) else {
            out.append(contentsOf: field)
            return
        }
        out.append(contentsOf: canonicalReal(number).utf8)
    }
}

/// Swift's shortest text that reads back as the same double; PostgreSQL (12+) reads it exactly.
func canonicalReal(_ number: Double) -> String {
    if number.isNaN { return "NaN" }
    if number.isInfinite { return number < 0 ? "-Infinity" : "Infinity" }
    return String(number)
}

/// Why one value could not be moved: always reported with its table, column and primary key.
public enum ValueProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidJSON
    case notBoolean(String)
    case notInteger(String)
    case notReal(String)
    case notTimestamp(String)
    case notDate(String)
    case wrongType(String)
    case badText(String)

    public var description: String {
        switch self {
        case .invalidJSON: "invalid JSON"
        case .notBoolean(let value): "\(value) is not a boolean (0 or 1)"
        case .notInteger(let value): "\(value) is not an integer"
        case .notReal(let value): "\(value) is not a number"
        case .notTimestamp(let value): "\(value) is not a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff])"
        case .notDate(let value): "\(value) is not a date (YYYY-MM-DD)"
        case .wrongType(let what): "the column's type cannot hold \(what)"
        case .badText(let reason): "text PostgreSQL cannot hold: \(reason)"
        }
    }
}

/// The first characters of a bad value, for the error line (escaped by the line writer like every value).
private func preview(_ bytes: UnsafeRawBufferPointer) -> String {
    let text = String(decoding: bytes.prefix(40), as: UTF8.self)
    return "'" + text + (bytes.count > 40 ? "…'" : "'")
}

extension Int64 {
    /// An optionally signed decimal integer, nothing else (no spaces, no exponent).
    init?(decimal bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty, bytes.count <= 20 else { return nil }
        self.init(String(decoding: bytes, as: UTF8.self), radix: 10)
    }
}

extension Double {
    init?(decimal bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty, bytes.count <= 64 else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        switch text.lowercased() {
        case "nan": self = .nan
        case "infinity", "inf": self = .infinity
        case "-infinity", "-inf": self = -.infinity
        default: self.init(text)
        }
    }
}

/// UTF-8 as PostgreSQL's server encoding accepts it: well formed (no overlongs, no surrogates) and no NUL.
enum UTF8Check {
    static func problem(_ bytes: UnsafeRawBufferPointer) -> String? {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead >= 0x01 && lead < 0x80 { index += 1; continue }
            if lead == 0 { return "a NUL character at byte \(index)" }
            let length: Int, minimum: UInt32
            switch lead {
            case 0xC2...0xDF: (length, minimum) = (2, 0x80)
            case 0xE0...0xEF: (length, minimum) = (3, 0x800)
            case 0xF0...0xF4: (length, minimum) = (4, 0x10000)
            default: return "invalid UTF-8 at byte \(index)"
            }
            guard index + length <= count else { return "invalid UTF-8 at byte \(index)" }
            var scalar = UInt32(lead) & (0xFF >> (length + 1))
            for offset in 1..<length {
                let next = bytes[index + offset]
                guard next & 0xC0 == 0x80 else { return "invalid UTF-8 at byte \(index)" }
                scalar = scalar << 6 | UInt32(next & 0x3F)
            }
            guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else {
                return "invalid UTF-8 at byte \(index)"
            }
            index += length
        }
        return nil
    }
}

/// SQLAlchemy's DateTime and Date as SQLite holds them (`2024-05-01 10:00:00.123456`, ISO `T` accepted), in
/// the form PostgreSQL's `to_char(…, 'YYYY-MM-DD HH24:MI:SS.US')` prints: a zone or any other form is refused,
/// since PostgreSQL would read it in ways a text comparison could not follow.
enum CanonicalTime {
    static func timestamp(_ bytes: UnsafeRawBufferPointer) -> String? {
        let b = Array(bytes)
        guard b.count >= 19, let date = date(b[0..<10]), b[10] == UInt8(ascii: " ") || b[10] == UInt8(ascii: "T"),
              digits(b[11..<13]), b[13] == UInt8(ascii: ":"), digits(b[14..<16]), b[16] == UInt8(ascii: ":"),
              digits(b[17..<19]) else { return nil }
        var fraction = ""
        if b.count > 19 {
            guard b[19] == UInt8(ascii: "."), b.count > 20, b.count <= 26, digits(b[20...]) else { return nil }
            fraction = String(decoding: b[20...], as: UTF8.self)
        }
        let hour = Int(String(decoding: b[11..<13], as: UTF8.self)) ?? 99
        let minute = Int(String(decoding: b[14..<16], as: UTF8.self)) ?? 99
        let second = Int(String(decoding: b[17..<19], as: UTF8.self)) ?? 99
        guard hour < 24, minute < 60, second < 60 else { return nil }
        let padded = fraction + String(repeating: "0", count: 6 - fraction.count)
        return date + " " + String(decoding: b[11..<19], as: UTF8.self) + "." + padded
    }

    static func date(_ bytes: UnsafeRawBufferPointer) -> String? { date(Array(bytes)[...]) }

    private static func date(_ b: ArraySlice<UInt8>) -> String? {
        let b = Array(b)
        guard b.count == 10, digits(b[0..<4]), b[4] == UInt8(ascii: "-"), digits(b[5..<7]), b[7] == UInt8(ascii: "-"),
              digits(b[8..<10]) else { return nil }
        let year = Int(String(decoding: b[0..<4], as: UTF8.self)) ?? 0
        let month = Int(String(decoding: b[5..<7], as: UTF8.self)) ?? 0
        let day = Int(String(decoding: b[8..<10], as: UTF8.self)) ?? 0
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard year >= 1, (1...12).contains(month), (1...days[month - 1]).contains(day) else { return nil }
        return String(decoding: b, as: UTF8.self)
    }

    private static func digits(_ bytes: ArraySlice<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
