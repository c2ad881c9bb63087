/// The text of an env file as python-dotenv sees it after opening it in text mode: UTF-8, with the byte order
/// mark that Windows editors add dropped and every line ending (CRLF, CR) read as LF.
func decodeEnvText(_ bytes: [UInt8], file: String) throws(EnvironmentError) -> [Unicode.Scalar] {
    var body = bytes[...]
    if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
    var scalars: [Unicode.Scalar] = []
    scalars.reserveCapacity(body.count)
    var iterator = body.makeIterator()
    var decoder = UTF8()
    var line = 1
    var afterCarriageReturn = false
    while true {
        switch decoder.decode(&iterator) {
        case .emptyInput:
            return scalars
        case .error:
            throw .syntax(SourceLocation(file: file, line: line), .invalidUTF8)
        case .scalarValue(let scalar):
            if scalar == "\0" { throw .syntax(SourceLocation(file: file, line: line), .nulCharacter) }
            let skip = scalar == "\n" && afterCarriageReturn
            afterCarriageReturn = scalar == "\r"
            if skip { continue }
            if scalar == "\r" || scalar == "\n" { line += 1 }
            scalars.append(scalar == "\r" ? "\n" : scalar)
        }
    }
}

/// Whitespace as Python's `str.isspace` has it, which is what python-dotenv's `\s` matches.
func isSpace(_ scalar: Unicode.Scalar) -> Bool {
    scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
}

/// Whitespace that does not end a line.
func isBlank(_ scalar: Unicode.Scalar) -> Bool {
    scalar != "\n" && isSpace(scalar)
}
