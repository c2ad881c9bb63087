import MaiSQL
/// This instance's client organization, from OPENROUTER_EXTERNAL_USER, ORGANIZATION_NAME and OPENROUTER_API_KEY.
public struct OrganizationSettings: Equatable, Sendable {
    public let id: String
    public let name: String
    public let apiKey: String

    public init(id: String, name: String, apiKey: String) {
        self.id = id
        self.name = name
        self.apiKey = apiKey
    }
}

/// What the upsert did to the organization row.
public enum OrganizationChange: Equatable, Sendable, CustomStringConvertible {
    case created
    /// The fields that differed: "name", "api key".
    case updated([String])
    case unchanged

    public var description: String {
        switch self {
        case .created: "organization created"
        case .updated(let fields): "organization updated: " + fields.joined(separator: ", ")
        case .unchanged: "organization unchanged"
        }
    }
}

enum OrganizationRecord {
    /// One statement whatever the row's state; the WHERE keeps `updated_at` when nothing changed. Values are
    /// bound, so a name holding quotes or SQL is stored as written.
    static let upsert = """
        INSERT INTO client_organizations (id, name, openrouter_api_key, markup_rate, is_active, created_at, updated_at) \
        VALUES ($1, $2, $3, 1.3, 1, $4, $4) \
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, openrouter_api_key = excluded.openrouter_api_key, \
        updated_at = excluded.updated_at \
        WHERE client_organizations.name <> excluded.name \
        OR client_organizations.openrouter_api_key <> excluded.openrouter_api_key
        """

    /// Reads the row and upserts it, inside the caller's locked transaction, so the reported change is what
    /// happened. The timestamps are written as the table's `created_at` asks: epoch seconds in the app's BIGINT
    /// columns, ISO-8601 text in a text column.
    static func save(_ organization: OrganizationSettings, on connection: any SQLConnection,
                     now: InstantText) throws(DatabaseError) -> OrganizationChange {
        let existing = try connection.query(
            "SELECT name, openrouter_api_key FROM client_organizations WHERE id = $1", [.text(organization.id)]).first
        let type = try connection.tableShape(of: "client_organizations")?.column("created_at")?.type ?? ""
        let stamp = TimestampStyle(columnType: type, connection.dialect).value(now)
        _ = try connection.query(upsert, [.text(organization.id), .text(organization.name),
                                          .text(organization.apiKey), stamp])
        guard let existing else { return .created }
        var fields: [String] = []
        if existing.first?.text != organization.name { fields.append("name") }
        if existing.dropFirst().first?.text != organization.apiKey { fields.append("api key") }
        return fields.isEmpty ? .unchanged : .updated(fields)
    }
}
