/// A `postgresql://` URL read the way Open WebUI's SQLAlchemy reads it (`sqlalchemy.engine.url.make_url`, 2.x),
/// and handed to libpq as keywords the way its psycopg2 dialect does (`create_connect_args`): so that this
/// program connects to the very database, as the very user, that Open WebUI does. libpq's own URI parser
/// reads some URLs differently: `u:Secret/Tail99@host/db` (a base64 password with `/`) is host `u`, port
/// `Secret` to libpq, and `/d%41b` is database `dAb` to libpq but `d%41b` to SQLAlchemy.
///
/// SQLAlchemy's pattern, after `name://`, anchored at the start only (what follows an unmatched part is ignored):
///
///     (?: (?P<username>[^:/]*) (?: :(?P<password>[^@]*) )? @ )?
///     (?: (?: \[(?P<ipv6host>[^/\?]+)\] | (?P<ipv4host>[^/:\?]+) )? (?: :(?P<port>[^/\?]*) )? )?
///     (?: /(?P<database>[^\?]*) )?
///     (?: \?(?P<query>.*) )?
///
/// Only the user name and the password are percent-decoded; the query is read by `parse_qsl` (`+` is a space,
/// empty values are dropped, a later key wins).
public struct SQLAlchemyURL: Equatable {
    var user: String?
    var password: String?
    public var host: String?
    public var port: String?
    public var database: String?
    var query: [(key: String, value: String)] = []

    public static func == (lhs: SQLAlchemyURL, rhs: SQLAlchemyURL) -> Bool {
        lhs.keywords.map { "\($0.keyword)=\($0.value)" } == rhs.keywords.map { "\($0.keyword)=\($0.value)" }
    }

    /// `rest` is what follows `://`.
    public init(_ rest: Substring) {
        var cursor = rest
        readUserinfo(&cursor)
        readHost(&cursor)
        if cursor.first == ":" {
            cursor = cursor.dropFirst()
            let port = cursor.prefix { $0 != "/" && $0 != "?" }
            self.port = port.isEmpty ? nil : String(port)
            cursor = cursor.dropFirst(port.count)
        }
        if cursor.first == "/" {
            cursor = cursor.dropFirst()
            let database = cursor.prefix { $0 != "?" }
            self.database = database.isEmpty ? nil : String(database)
            cursor = cursor.dropFirst(database.count)
        }
        if cursor.first == "?" { query = Self.parseQuery(cursor.dropFirst()) }
    }

    /// The psycopg2 dialect's keywords, in its order: host, dbname, user, password, port, then the query's.
    var keywords: [PostgresTarget.Parameter] {
        var pairs: [(String, String?)] = [("host", host), ("dbname", database), ("user", user), ("password", password), ("port", port)]
        pairs += query.map { ($0.key, $0.value) }
        var result: [PostgresTarget.Parameter] = []
        for case let (keyword, value?) in pairs {
            result.removeAll { $0.keyword == keyword }
            result.append(PostgresTarget.Parameter(keyword: keyword, value: value))
        }
        return result
    }

    /// The longest user name first, as the pattern backtracks: `name:password@` when a `:` ends the name and an
    /// `@` follows it, else the name runs to the last `@` before any `:` or `/`.
    private mutating func readUserinfo(_ cursor: inout Substring) {
        let name = cursor.prefix { $0 != ":" && $0 != "/" }
        let afterName = cursor.dropFirst(name.count)
        if afterName.first == ":", let at = afterName.firstIndex(of: "@") {
            user = nonEmpty(percentDecodedLikePython(name))
            password = nonEmpty(percentDecodedLikePython(afterName[afterName.index(after: afterName.startIndex)..<at]))
            cursor = afterName[afterName.index(after: at)...]
        } else if let at = name.lastIndex(of: "@") {
            user = nonEmpty(percentDecodedLikePython(name[..<at]))
            cursor = cursor[cursor.index(after: at)...]
        }
    }

    /// `[ipv6]` up to its last `]` before any `/` or `?`, else a name up to `/`, `:` or `?`.
    private mutating func readHost(_ cursor: inout Substring) {
        if cursor.first == "[" {
            let span = cursor.dropFirst().prefix { $0 != "/" && $0 != "?" }
            if let close = span.lastIndex(of: "]"), close > span.startIndex {
                host = String(span[..<close])
                cursor = cursor[cursor.index(after: close)...]
                return
            }
        }
        let name = cursor.prefix { $0 != "/" && $0 != ":" && $0 != "?" }
        host = name.isEmpty ? nil : String(name)
        cursor = cursor.dropFirst(name.count)
    }

    /// Python's `parse_qsl(query)`: pairs split on `&`, `+` read as a space, percent-decoded, blank values dropped.
    private static func parseQuery(_ text: Substring) -> [(key: String, value: String)] {
        text.split(separator: "&").compactMap { pair in
            guard let equals = pair.firstIndex(of: "=") else { return nil }
            let key = percentDecodedLikePython(Substring(pair[..<equals].replacing("+", with: " ")))
            let value = percentDecodedLikePython(Substring(pair[pair.index(after: equals)...].replacing("+", with: " ")))
            return value.isEmpty ? nil : (key, value)
        }
    }
}

private func nonEmpty(_ text: String) -> String? { text.isEmpty ? nil : text }

/// Python's `urllib.parse.unquote`: `%XX` escapes decoded as UTF-8 (invalid bytes replaced), anything else,
/// a malformed escape included, kept as written.
func percentDecodedLikePython(_ text: Substring) -> String {
    var bytes: [UInt8] = []
    var index = text.utf8.startIndex
    let utf8 = text.utf8
    while index < utf8.endIndex {
        let byte = utf8[index]
        if byte == UInt8(ascii: "%"), let high = utf8.index(index, offsetBy: 1, limitedBy: utf8.endIndex), high < utf8.endIndex,
           let low = utf8.index(index, offsetBy: 2, limitedBy: utf8.endIndex), low < utf8.endIndex,
           let first = hexValue(utf8[high]), let second = hexValue(utf8[low]) {
            bytes.append(first << 4 | second)
            index = utf8.index(after: low)
            continue
        }
        bytes.append(byte)
        index = utf8.index(after: index)
    }
    return String(decoding: bytes, as: UTF8.self)
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}
