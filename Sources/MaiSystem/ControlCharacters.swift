/// Text as one line, whatever it holds: CR, LF, tab and the other C0 and C1 control characters are shown
/// escaped (`\\r`, `\\u{1B}`), never written. The one escape of the program's own output: error lines that quote
/// a value as given, log lines, and the values `status` and `env` print. Never applied to the child's output,
/// which is relayed byte for byte.
public func escapingControlCharacters(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isControlCharacter) else { return text }
    var shown = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\r": shown += "\\r"
        case "\n": shown += "\\n"
        case "\t": shown += "\\t"
        case _ where isControlCharacter(scalar):
            shown += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
        default: shown.unicodeScalars.append(scalar)
        }
    }
    return shown
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
    return doubleQuoted(text, backslashing: ["\\", "\""])
}

/// The text between double quotes: each of `backslashing` after a backslash, control characters by the one
/// escape above. What needs a backslash is the quoting format's (logfmt: `\` and `"`; an env file also `$`).
public func doubleQuoted(_ text: String, backslashing: Set<Unicode.Scalar>) -> String {
    var quoted = "\""
    for scalar in text.unicodeScalars {
        if backslashing.contains(scalar) {
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
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case _ where isControlCharacter(scalar):
            let hex = String(scalar.value, radix: 16)
            result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}
