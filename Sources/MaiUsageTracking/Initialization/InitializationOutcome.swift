import MaiSQL
/// What a successful initialization did, for its log line and for `init-db`.
public struct InitializationReport: Equatable, Sendable {
    public let organization: OrganizationSettings
    public let change: OrganizationChange
    public let schema: SchemaState
    /// What the log says once the transaction committed.
    var migrationLines: [String] = []
    var deferred: String?
    /// `N from mai_aside_T into T` for each set-aside table carried back.
    var carried: [String] = []
}

public enum InitializationOutcome: Equatable, Sendable {
    /// Usage tracking is not configured (or only partly): nothing was done.
    case skipped(UsageTrackingConfiguration)
    case initialized(InitializationReport)
    /// The app's own migration (this revision) makes the usage tables at the server's start: nothing of ours
    /// was created; tables of ours in its way were set aside. A run after the app's migrations finishes.
    case waitingForApp(revision: String)
    case failed(InitializationFailure)
}
