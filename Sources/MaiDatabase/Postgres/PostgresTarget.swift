import MaiEnvironment
/// How to reach a PostgreSQL database: libpq keyword/value pairs (a URI travels as `dbname`, which libpq
/// expands), the schema Open WebUI keeps its tables in, the masked form for logs, and the secrets to strike
/// from any message.
public struct PostgresTarget: Equatable, Sendable, CustomStringConvertible {
    public struct Parameter: Equatable, Sendable {
        public let keyword: String
        public let value: String

        public init(keyword: String, value: String) {
            self.keyword = keyword
            self.value = value
        }
    }

    public let parameters: [Parameter]
    /// `postgresql://user:***@host:5432/db`
    public let display: String
    /// DATABASE_SCHEMA: the usage tables go there (it must exist, as Open WebUI requires); nil for the
    /// connection's default (`public`).
    public let schema: String?
    private let secrets: [String]

    /// From a URL whose scheme is already `postgresql://`; `shownAs` is the masked URL as the operator wrote it
    /// (with its `+driver`), when it differs.
    public init(uri: String, shownAs: String? = nil, schema: String? = nil) {
        parameters = [Parameter(keyword: "dbname", value: uri)]
        let passwords = [Self.uriPassword(uri), Self.queryPassword(uri)].compactMap { $0 }
        secrets = passwords.flatMap { [$0, percentDecoded(Substring($0))] }
        display = redacting(shownAs ?? maskURLPasswords(in: uri), secrets: secrets)
        self.schema = schema
    }

    /// From Open WebUI's DATABASE_USER, DATABASE_PASSWORD, DATABASE_HOST, DATABASE_PORT and DATABASE_NAME.
    public init(host: String, port: String, user: String, password: String?, database: String,
                shownAs: String? = nil, schema: String? = nil) {
        var parameters = [Parameter(keyword: "host", value: host), Parameter(keyword: "port", value: port),
                          Parameter(keyword: "user", value: user)]
        if let password { parameters.append(Parameter(keyword: "password", value: password)) }
        parameters.append(Parameter(keyword: "dbname", value: database))
        self.parameters = parameters
        secrets = password.map { [$0] } ?? []
        display = redacting(shownAs ?? "postgresql://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)",
                            secrets: secrets)
        self.schema = schema
    }

    public var description: String { display }

    func redact(_ text: String) -> String { redacting(text, secrets: secrets) }

    /// libpq also takes `?password=…` in the query.
    private static func queryPassword(_ uri: String) -> String? {
        guard let query = uri.firstIndex(of: "?") else { return nil }
        let pair = uri[uri.index(after: query)...].split(separator: "&").first { $0.hasPrefix("password=") }
        return pair.map { String($0.dropFirst("password=".count)) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    private static func uriPassword(_ uri: String) -> String? {
        guard let scheme = uri.firstRange(of: "://") else { return nil }
        let rest = uri[scheme.upperBound...]
        let authority = rest.prefix { !"/?#".contains($0) }
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return nil }
        return String(authority[authority.index(after: colon)..<at])
    }
}
