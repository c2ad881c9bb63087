/// What a successful initialization did, for its log line and for `init-db`.
public struct InitializationReport: Equatable, Sendable {
    public let organization: OrganizationSettings
    public let change: OrganizationChange
    public let schema: SchemaState
}

public enum InitializationOutcome: Equatable, Sendable {
    /// Usage tracking is not configured (or only partly): nothing was done.
    case skipped(UsageTrackingConfiguration)
    case initialized(InitializationReport)
    case failed(InitializationFailure)
}
