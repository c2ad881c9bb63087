/// Masks for values that go to a log or a terminal: what an operator needs to recognise a value, and no more.

/// Words in a variable's name that mark its value as a secret, anywhere in the name (`SMTP_PASS`,
/// `DBPASSWORD`, `GOOGLE_CREDENTIALS_JSON`): a false alarm hides a harmless value, a miss prints a secret.
public let secretNameWords = [
    "KEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD", "PASS", "PWD", "AUTH", "CREDENTIAL", "PRIVATE", "COOKIE",
]

/// Names whose value is shown as `…abcd`, the way API dashboards tell keys apart: keys and tokens. A name that
/// also holds one of `passwordNameWords` shows nothing.
private let keyNameWords = ["KEY", "TOKEN", "SECRET"]
private let passwordNameWords = ["PASS", "PWD", "AUTH", "CREDENTIAL", "PRIVATE", "COOKIE"]

/// The conninfo keywords whose value libpq itself treats as secret: those with `dispchar` `"*"` in
/// `PQconninfoOptions` (src/interfaces/libpq/fe-connect.c), as `PQconndefaults()` lists them (checked against
/// Debian 12's libpq 15.2): `password` and `sslpassword` (a client key's passphrase). Listed here rather than
/// read from libpq, which the program loads only for PostgreSQL (and never for `env`); a newer libpq may add one.
public let libpqSecretKeywords = ["password", "sslpassword"]

/// Suffixes of names whose values are URLs or connection strings: their userinfo is masked.
private let locatorNameSuffixes = ["_URL", "_URI", "_DSN"]

public func isSecretName(_ name: String) -> Bool {
    let upper = name.uppercased()
    return secretNameWords.contains { upper.contains($0) }
}

/// A variable's value as it may be shown: a password's `***`, a key's last four characters, a URL's userinfo
/// masked, and any other value with the passwords of the URLs in it masked.
public func maskSecret(name: String, value: String) -> String {
    let upper = name.uppercased()
    if isSecretName(upper) {
        let keyLike = keyNameWords.contains { upper.contains($0) } && !passwordNameWords.contains { upper.contains($0) }
        return keyLike ? maskValue(value) : (value.isEmpty ? "" : "***")
    }
    if locatorNameSuffixes.contains(where: { upper.hasSuffix($0) }) || ["URL", "URI", "DSN"].contains(upper) {
        return maskLocator(value)
    }
    return maskURLPasswords(in: value)
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

/// The value of a `*_URL`, `*_URI` or `*_DSN` variable: `scheme://user:***@host/…`, or `scheme://***@host/…`
/// when the userinfo is one word (a token, as in `https://TOKEN@sentry.example/1`), and `password=***` in a
/// libpq keyword string. The userinfo ends at the value's last `@`, so a password holding a raw `@`, `/` or a
/// blank is masked whole; an `@` further on (`?mail=a@b`) costs the host name, never the secret.
public func maskLocator(_ value: String) -> String {
    let text = maskPasswordPairs(value)
    let scheme = text.firstRange(of: "://")
    let rest = scheme.map { text[$0.upperBound...] } ?? text[...]
    guard let at = rest.lastIndex(of: "@") else { return text }
    let userinfo = rest[..<at]
    let shown = userinfo.firstIndex(of: ":").map { String(userinfo[...$0]) + "***" } ?? "***"
    return String(text[..<rest.startIndex]) + shown + String(rest[at...])
}

/// `password=hunter2` → `password=***` (libpq keyword strings), the value read up to a blank or, quoted, to its
/// closing quote. Every `…password=` is taken, so `sslpassword=` (the other of `libpqSecretKeywords`) is too.
func maskPasswordPairs(_ text: String) -> String {
    var result = ""
    var rest = text[...]
    let key = "password="
    while let start = rest.indices.first(where: { rest[$0...].prefix(key.count).lowercased() == key }) {
        let valueStart = rest.index(start, offsetBy: key.count)
        result += rest[..<valueStart] + "***"
        rest = rest[valueStart...]
        if rest.first == "'" {
            var index = rest.index(after: rest.startIndex)
            while index < rest.endIndex && rest[index] != "'" {
                if rest[index] == "\\" && rest.index(after: index) < rest.endIndex { index = rest.index(after: index) }
                index = rest.index(after: index)
            }
            rest = index < rest.endIndex ? rest[rest.index(after: index)...] : rest[rest.endIndex...]
        } else {
            rest = rest[(rest.firstIndex(where: \.isWhitespace) ?? rest.endIndex)...]
        }
    }
    return result + rest
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
