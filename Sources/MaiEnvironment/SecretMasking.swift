/// Masks for values that go to a log or a terminal: what an operator needs to recognise a value, and no more.

/// Words in a variable's name that mark its value as a secret.
public let secretNameWords = ["KEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD"]

public func isSecretName(_ name: String) -> Bool {
    let upper = name.uppercased()
    return secretNameWords.contains { upper.contains($0) }
}

/// A variable's value as it may be shown: a secret's masked whole, any other value with the passwords of the
/// URLs in it masked.
public func maskSecret(name: String, value: String) -> String {
    isSecretName(name) ? maskValue(value) : maskURLPasswords(in: value)
}

/// Prefixes that tell which kind of key a value is without telling any of the key.
private let publicKeyPrefixes = ["sk-or-v1-", "sk-or-", "sk-"]

/// `…` and the last four characters of a secret longer than 12 characters (after a known key prefix such as
/// `sk-or-v1-`, kept), `***` for a shorter one, and nothing for an empty one, which hides nothing and is
/// exactly what an operator looking for a missing key needs to see.
public func maskValue(_ value: String) -> String {
    guard !value.isEmpty else { return "" }
    let prefix = publicKeyPrefixes.first { value.hasPrefix($0) } ?? ""
    let material = value.dropFirst(prefix.count)
    guard material.count > 12 else { return "***" }
    return prefix + "…" + material.suffix(4)
}

/// `postgresql://user:pass@host/db` → `postgresql://user:***@host/db`, for every URL in the text. Where the
/// user part ends is read generously (up to the last `@` before whitespace or the next URL), so that a
/// password with an unencoded `/` or `@` is masked whole.
public func maskURLPasswords(in text: String) -> String {
    var result = ""
    var rest = text[...]
    while let schemeEnd = rest.firstRange(of: "://") {
        result += rest[..<schemeEnd.upperBound]
        rest = rest[schemeEnd.upperBound...]
        let segmentEnd = rest.firstRange(of: "://")?.lowerBound ?? rest.endIndex
        let segment = rest[..<segmentEnd]
        let end = segment.firstIndex(where: \.isWhitespace) ?? segment.endIndex
        guard let at = segment[..<end].lastIndex(of: "@"), let colon = segment[..<at].firstIndex(of: ":") else { continue }
        result += rest[...colon] + "***"
        rest = rest[at...]
    }
    return result + rest
}
