// URL passwords and keys are masked by MaiEnvironment (maskURLPasswords, maskValue); what is left here is
// striking known secrets out of a driver's free-form message.

/// Replaces every occurrence of each secret in a driver's message (libpq may echo parts of its input).
func redacting(_ text: String, secrets: [String]) -> String {
    var result = text
    for secret in secrets where secret.count >= 3 {
        result = result.replacing(secret, with: "***")
    }
    return result
}

/// `%40` → `@`, as libpq decodes a URI's user and password; invalid escapes stay as written.
func percentDecoded(_ text: Substring) -> String {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let character = text[index]
        if character == "%", let end = text.index(index, offsetBy: 3, limitedBy: text.endIndex),
           let byte = UInt8(text[text.index(after: index)..<end], radix: 16) {
            bytes.append(byte)
            index = end
        } else {
            bytes.append(contentsOf: Array(String(character).utf8))
            index = text.index(after: index)
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}
