import MaiRedaction

// Which strings are secrets: the database password as every program that reads DATABASE_URL would read it,
// raw and percent-decoded. URLs shown in logs are masked by MaiEnvironment (maskURLPasswords); what is
// defined here strikes the secrets out of every message, a driver's included.

/// The password of a `scheme://…` URL as each reader splits it, raw and percent-decoded, longest first:
///
/// - libpq (`conninfo_uri_parse_options` in fe-connect.c) looks for the user part only before the first
///   `/`: it ends at the first `@`, and the password runs from the first `:` to that `@`. A password with a raw
///   `/` therefore has no user part at all: `u:Secret/Tail99@h` is host `u`, port `Secret`.
/// - SQLAlchemy (`make_url`'s pattern `(?P<username>[^:/]*)(?::(?P<password>[^@]*))?@`) takes the password
///   from the first `:`, if no `/` comes before it, to the next `@`, `/` included.
/// - The writer meant the password to run from the first `:` to the last `@`: `u:Abc@TAIL@h` is `Abc@TAIL`,
///   of which both readers keep `Abc` and report `TAIL@h` as the host.
/// - libpq also takes `?password=…` from the query, and `?sslpassword=…` (every keyword of
///   `libpqSecretKeywords`).
public func urlPasswordReadings(_ url: String) -> [String] {
    guard let scheme = url.firstRange(of: "://") else { return [] }
    let rest = url[scheme.upperBound...]
    let raw = [libpqPassword(rest), sqlalchemyPassword(rest), intendedPassword(rest)].compactMap { $0 } + queryPasswords(rest)
    return distinctLongestFirst(raw.flatMap { [String($0), percentDecoded($0)] })
}

/// A password given on its own (DATABASE_PASSWORD): as written, percent-decoded and percent-encoded, and as
/// libpq and SQLAlchemy would read it inside the URL that Open WebUI builds from the DATABASE_* parts.
public func standalonePasswordReadings(_ password: String, user: String = "user") -> [String] {
    distinctLongestFirst([password, percentDecoded(password[...]), percentEncoded(password)]
        + urlPasswordReadings("postgresql://\(user):\(password)@host/db"))
}

/// What to strike from every line, given the loaded environment: the database password's readings in whole
/// and in pieces, and in whole the OpenRouter key (its last four characters are shown on purpose) and Open
/// WebUI's session-signing key (given, or the one kept in DATA_DIR once it is set for the server).
public func databaseSecretRedactor(_ environment: [String: String]) -> SecretRedactor {
    func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
    var passwords: [String] = []
    if let url = value("DATABASE_URL") { passwords += urlPasswordReadings(url) }
    if let password = value("DATABASE_PASSWORD") {
        passwords += standalonePasswordReadings(password, user: value("DATABASE_USER") ?? "user")
    }
    let keys = ["OPENROUTER_API_KEY", "WEBUI_SECRET_KEY", "WEBUI_JWT_SECRET_KEY"].compactMap(value)
    return SecretRedactor(whole: keys, piecewise: passwords)
}

/// Strikes the secrets, whole and in pieces, from a driver's message (libpq may echo parts of its input).
public func redacting(_ text: String, secrets: [String]) -> String {
    SecretRedactor(piecewise: secrets).redact(text)
}

private func libpqPassword(_ rest: Substring) -> Substring? {
    guard let end = rest.firstIndex(where: { $0 == "@" || $0 == "/" }), rest[end] == "@" else { return nil }
    let userinfo = rest[..<end]
    guard let colon = userinfo.firstIndex(of: ":") else { return nil }
    return userinfo[userinfo.index(after: colon)...]
}

private func sqlalchemyPassword(_ rest: Substring) -> Substring? {
    guard let colon = rest.firstIndex(where: { $0 == ":" || $0 == "/" }), rest[colon] == ":" else { return nil }
    let password = rest[rest.index(after: colon)...]
    guard let at = password.firstIndex(of: "@") else { return nil }
    return password[..<at]
}

private func intendedPassword(_ rest: Substring) -> Substring? {
    guard let at = rest.lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") else { return nil }
    return rest[rest.index(after: colon)..<at]
}

private func queryPasswords(_ rest: Substring) -> [Substring] {
    guard let query = rest.firstIndex(of: "?") else { return [] }
    let pairs = rest[rest.index(after: query)...].split(separator: "&")
    return libpqSecretKeywords.flatMap { keyword in
        pairs.filter { $0.hasPrefix(keyword + "=") }.map { $0.dropFirst(keyword.count + 1) }
    }
}

private func distinctLongestFirst(_ texts: [String]) -> [String] {
    Set(texts.filter { !$0.isEmpty }).sorted { $0.count > $1.count || ($0.count == $1.count && $0 < $1) }
}

/// `%40` → `@`, as libpq and SQLAlchemy decode a URI's user and password; invalid escapes stay as written.
public func percentDecoded(_ text: Substring) -> String {
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

/// Every byte but RFC 3986's unreserved characters as `%XX`, as a careful writer puts a password in a URL.
func percentEncoded(_ text: String) -> String {
    var result = ""
    for byte in text.utf8 {
        let scalar = Unicode.Scalar(byte)
        if ("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || "-._~".unicodeScalars.contains(scalar) {
            result.unicodeScalars.append(scalar)
        } else {
            let hex = String(byte, radix: 16, uppercase: true)
            result += "%" + (hex.count == 1 ? "0" : "") + hex
        }
    }
    return result
}
