import MaiSQL
/// Whether this instance tracks usage: it does when OPENROUTER_EXTERNAL_USER and ORGANIZATION_NAME are set,
/// and then needs OPENROUTER_API_KEY too. An empty value counts as unset.
public enum UsageTrackingConfiguration: Equatable, Sendable {
    case notConfigured
    /// Some of the variables are set: the ones named are missing.
    case incomplete(missing: [String])
    case configured(OrganizationSettings)

    static let variables = ["OPENROUTER_EXTERNAL_USER", "ORGANIZATION_NAME", "OPENROUTER_API_KEY"]

    public var isConfigured: Bool {
        if case .configured = self { return true }
        return false
    }

    public init(environment: [String: String]) {
        let values = Self.variables.map { environment[$0].flatMap { $0.isEmpty ? nil : $0 } }
        let (id, name) = (values[0], values[1])
        if id == nil && name == nil {
            self = .notConfigured
        } else if let id, let name, let key = values[2] {
            self = .configured(OrganizationSettings(id: id, name: name, apiKey: key))
        } else {
            self = .incomplete(missing: zip(Self.variables, values).filter { $0.1 == nil }.map(\.0))
        }
    }
}
