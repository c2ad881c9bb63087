import ArgumentParser
import MaiOpenWebUI
import MaiSQL
import MaiUsageTracking

/// Options of the usage-tracking initialization, shared by the main run and `init-db`.
struct DatabaseOptions: ParsableArguments, SettingsGroup {
    @Option(name: .long, parsing: .unconditional, help: seconds("Base of the exponential backoff between database attempts, in seconds (default 0.2; waits grow to 5).", "init-backoff"),
            transform: Seconds.checked)
    var initBackoff: Seconds?

    @Option(name: .long, parsing: .unconditional, help: seconds("Seconds to keep retrying the usage-tracking database before giving up (default 60).", "init-timeout"),
            transform: Seconds.checked)
    var initTimeout: Seconds?

    @Flag(name: .long, help: help("Exit 1 instead of starting the server when usage tracking cannot be initialized.", "init-required"))
    var initRequired = false

    static func settings(_ given: Self?, _ environment: OptionEnvironment) throws(UsageError) -> DatabaseSettings {
        var policy = RetryPolicy()
        if let base = try resolve(given?.initBackoff, "init-backoff", environment) {
            guard base.duration > .zero else {
                let source = given?.initBackoff != nil ? "--init-backoff" : environment.describe("init-backoff")
                throw UsageError("\(source) must be more than 0 seconds")
            }
            policy.base = base.duration
        }
        if let timeout = try resolve(given?.initTimeout, "init-timeout", environment) { policy.timeout = timeout.duration }
        return DatabaseSettings(policy: policy, required: try environment.flag(given?.initRequired, "init-required"))
    }
}

struct DatabaseSettings: Sendable, Equatable {
    var policy = RetryPolicy()
    /// Failing to initialize ends the program (status 1) instead of starting the server without tracking.
    var required = false
}
