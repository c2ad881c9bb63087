import MaiSQL
/// PostgreSQL's COPY text format (the `COPY` page of its manual): fields separated by TAB, rows ended by LF,
/// NULL as `\N`, and backslash, LF, CR and TAB inside a value written as `\\`, `\n`, `\r`, `\t`. Values travel as
/// text, never inside SQL: nothing a value holds can change a statement.
enum CopyText {
    static let tab = UInt8(ascii: "\t"), newline = UInt8(ascii: "\n"), backslash = UInt8(ascii: "\\")

    static func appendNull(to out: inout [UInt8]) {
        out.append(backslash)
        out.append(UInt8(ascii: "N"))
    }

    static func appendEscaped(_ value: [UInt8], to out: inout [UInt8]) {
        for byte in value {
            switch byte {
            case backslash: out.append(backslash); out.append(backslash)
            case newline: out.append(backslash); out.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): out.append(backslash); out.append(UInt8(ascii: "r"))
            case tab: out.append(backslash); out.append(UInt8(ascii: "t"))
            default: out.append(byte)
            }
        }
    }

    /// Splits one row as COPY TO prints it into its fields, unescaped, into `buffer`: `fields` gets each one's
    /// range there, or nil for NULL. PostgreSQL escapes backslash, BS, FF, LF, CR, TAB and VT on output.
    static func decode(_ line: UnsafeRawBufferPointer, buffer: inout [UInt8], fields: inout [Range<Int>?]) {
        buffer.removeAll(keepingCapacity: true)
        fields.removeAll(keepingCapacity: true)
        var end = line.count
        if end > 0 && line[end - 1] == newline { end -= 1 }
        var start = buffer.count, index = 0, isNull = false
        while index <= end {
            if index == end || line[index] == tab {
                fields.append(isNull ? nil : start..<buffer.count)
                start = buffer.count
                isNull = false
                index += 1
                continue
            }
            let byte = line[index]
            guard byte == backslash, index + 1 < end else {
                buffer.append(byte)
                index += 1
                continue
            }
            let next = line[index + 1]
            switch next {
            case UInt8(ascii: "N"): isNull = true
            case UInt8(ascii: "n"): buffer.append(newline)
            case UInt8(ascii: "r"): buffer.append(UInt8(ascii: "\r"))
            case UInt8(ascii: "t"): buffer.append(tab)
            case UInt8(ascii: "b"): buffer.append(0x08)
            case UInt8(ascii: "f"): buffer.append(0x0C)
            case UInt8(ascii: "v"): buffer.append(0x0B)
            default: buffer.append(next)
            }
            index += 2
        }
    }
}

/// The content digest of one table: each row's fields, in the column order both sides use, hashed into 128
/// bits, and the rows' hashes added up (modulo 2^64 per half), so that the digest does not depend on the order
/// in which either database returns the rows. Not a cryptographic hash: it tells whether the copy kept every
/// value, not whether someone forged one. Computed the same way from what was sent and what the target holds.
struct TableDigest: Equatable {
    private(set) var rows = 0
    private var low: UInt64 = 0
    private var high: UInt64 = 0

    mutating func add(_ row: RowHash) {
        rows += 1
        low = low &+ row.finished.0
        high = high &+ row.finished.1
    }

    var hex: String { hex64(high) + hex64(low) }
}

/// The hash of one row, fed field by field (a NULL and an empty value differ; a field's length is hashed
/// with it, so `ab|c` and `a|bc` differ).
struct RowHash {
    private var a: UInt64 = 0x9E37_79B9_7F4A_7C15
    private var b: UInt64 = 0xC2B2_AE3D_27D4_EB4F

    mutating func addNull() { mix(0xFFFF_FFFF_FFFF_FFFF) }

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        mix(UInt64(bytes.count))
        var index = 0
        while index + 8 <= bytes.count {
            mix(bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            index += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count {
            tail |= UInt64(bytes[index]) << shift
            shift += 8
            index += 1
        }
        mix(tail)
    }

    private mutating func mix(_ word: UInt64) {
        a = (a ^ word) &* 0xFF51_AFD7_ED55_8CCD
        a = a << 31 | a >> 33
        b = (b ^ (word &+ 0x2545_F491_4F6C_DD1D)) &* 0xC4CE_B9FE_1A85_EC53
        b = b << 27 | b >> 37
    }

    /// MurmurHash3's finalizer on each half: every input bit reaches every output bit.
    var finished: (UInt64, UInt64) { (avalanche(a ^ b >> 1), avalanche(b &+ a)) }

    private func avalanche(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 33
        x = x &* 0xFF51_AFD7_ED55_8CCD
        x ^= x >> 33
        x = x &* 0xC4CE_B9FE_1A85_EC53
        x ^= x >> 33
        return x
    }
}

private func hex64(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}
