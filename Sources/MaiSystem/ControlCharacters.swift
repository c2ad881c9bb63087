/// Text as one line, whatever it holds: CR, LF, tab and the other C0 and C1 control characters are shown
/// escaped (`\\r`, `\\u{1B}`), never written. For error lines that quote a value as given (a URL, an option).
public func escapingControlCharacters(_ text: String) -> String {
    var shown = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\r": shown += "\\r"
        case "\n": shown += "\\n"
        case "\t": shown += "\\t"
        case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value):
            shown += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
        default: shown.unicodeScalars.append(scalar)
        }
    }
    return shown
}
