import MaiEnvironment
/// How to reach a PostgreSQL database: libpq keyword/value pairs (a URI travels as `dbname`, which libpq
/// expands), the masked form for logs, and the secrets to strike from any message.
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
    private let secrets: [String]

    /// From a URL whose scheme is already `postgresql://`.
    public init(uri: String) {
        parameters = [Parameter(keyword: "dbname", value: uri)]
        let passwords = [Self.uriPassword(uri), Self.queryPassword(uri)].compactMap { $0 }
        secrets = passwords.flatMap { [$0, percentDecoded(Substring($0))] }
        display = redacting(maskURLPasswords(in: uri), secrets: secrets)
    }

    /// From Open WebUI's DATABASE_USER, DATABASE_PASSWORD, DATABASE_HOST, DATABASE_PORT and DATABASE_NAME.
    public init(host: String, port: String, user: String, password: String?, database: String) {
        var parameters = [Parameter(keyword: "host", value: host), Parameter(keyword: "port", value: port),
                          Parameter(keyword: "user", value: user)]
        if let password { parameters.append(Parameter(keyword: "password", value: password)) }
        parameters.append(Parameter(keyword: "dbname", value: database))
        self.parameters = parameters
        display = "postgresql://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
        secrets = password.map { [$0] } ?? []
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
