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
    return "\"" + text.unicodeScalars.map(quotedScalar).joined() + "\""
}

/// One scalar inside logfmt's double quotes.
private func quotedScalar(_ scalar: Unicode.Scalar) -> String {
    switch scalar {
    case "\\": "\\\\"
    case "\"": "\\\""
    default: escapingControlCharacters(String(scalar))
    }
}
