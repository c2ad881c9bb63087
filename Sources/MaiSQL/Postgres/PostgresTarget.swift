import MaiRedaction
/// How to reach a PostgreSQL database: libpq keyword/value pairs (a URL is read as Open WebUI's SQLAlchemy reads
/// it, see `SQLAlchemyURL`), the schema Open WebUI keeps its tables in, the masked form for logs, and the secrets to strike
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
        let rest = uri.firstRange(of: "://").map { uri[$0.upperBound...] } ?? uri[...]
        parameters = SQLAlchemyURL(rest).keywords
        secrets = urlPasswordReadings(uri)
        display = SecretRedactor(piecewise: secrets).redactValue(shownAs ?? maskURLPasswords(in: uri))
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
        secrets = password.map { standalonePasswordReadings($0, user: user) } ?? []
        display = SecretRedactor(piecewise: secrets).redactValue(
            shownAs ?? "postgresql://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)")
        self.schema = schema
    }

    public var description: String { display }

    func redact(_ text: String) -> String { redacting(text, secrets: secrets) }
}
