/// Text as one line, whatever it holds: CR, LF, tab and the other C0 and C1 control characters are shown
/// escaped (`\\r`, `\\u{1B}`), never written. The one escape of the program's own output: error lines that quote
/// a value as given, log lines, and the values `status` and `env` print. Never applied to the child's output,
/// which is relayed byte for byte.
public func escapingControlCharacters(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isControlCharacter) else { return text }
    var shown = ""
    for scalar in text.unicodeScalars {
        if let escape = controlEscape(scalar, code: { "\\u{\(String($0, radix: 16, uppercase: true))}" }) {
            shown += escape
        } else {
            shown.unicodeScalars.append(scalar)
        }
    }
    return shown
}

/// The escape of a control character: `\r`, `\n` and `\t` as C writes them, `code` of the value for any other
/// (each format spells that its own way); nil for a character that is not one.
private func controlEscape(_ scalar: Unicode.Scalar, code: (UInt32) -> String) -> String? {
    switch scalar {
    case "\r": "\\r"
    case "\n": "\\n"
    case "\t": "\\t"
    case _ where isControlCharacter(scalar): code(scalar.value)
    default: nil
    }
}

/// C0 (below 0x20), DEL and C1 (0x80–0x9F): what a terminal may act on instead of showing.
public func isControlCharacter(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
}

/// A `key=value` value as one word (logfmt, as the log lines and `status` write it): double-quoted, with quotes
/// and backslashes escaped, when it is empty or holds a blank, a quote or `=`; control characters escaped.
public func logfmtValue(_ text: String) -> String {
    let raw = escapingControlCharacters(text)
    guard raw.isEmpty || raw.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) || raw != text else { return raw }
    return doubleQuoted(text, backslashing: #"\""#)
}

/// The text between double quotes: each of `backslashing` after a backslash, control characters by the one
/// escape above. What needs a backslash is the quoting format's (logfmt: `\` and `"`; an env file also `$`),
/// given as the characters of a string (a set of them would cost the first log line a Swift runtime lookup).
public func doubleQuoted(_ text: String, backslashing: String) -> String {
    var quoted = "\""
    for scalar in text.unicodeScalars {
        if backslashing.unicodeScalars.contains(scalar) {
            quoted += "\\" + String(scalar)
        } else {
            quoted += escapingControlCharacters(String(scalar))
        }
    }
    return quoted + "\""
}

/// A JSON string literal (RFC 8259) with every control character escaped, C1 and DEL too, which JSON would
/// allow raw: a terminal showing the line may act on them. JSON's escapes (`\u001b`), not the program's
/// (`\u{1B}`): a JSON reader must read the value back as it was.
public func jsonString(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        if scalar == "\"" || scalar == "\\" {
            result += "\\" + String(scalar)
        } else if let escape = controlEscape(scalar, code: jsonCode) {
            result += escape
        } else {
            result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}

/// `\u001b`: JSON's escape, four hexadecimal digits (every control character is below 0x100).
private func jsonCode(_ value: UInt32) -> String {
    let hex = String(value, radix: 16)
    return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
}
