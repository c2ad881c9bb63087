import ArgumentParser
import MaiDatabase

/// Options of the usage-tracking initialization, shared by the main run and `init-db`.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: help("Base of the exponential backoff between database attempts, in seconds (default 0.2; waits grow to 5).", "init-backoff"))
    var initBackoff: String?

    @Option(name: .long, help: help("Seconds to keep retrying the usage-tracking database before giving up (default 60).", "init-timeout"))
    var initTimeout: String?

    @Flag(name: .long, help: help("Exit 1 instead of starting the server when usage tracking cannot be initialized.", "init-required"))
    var initRequired = false

    func settings(_ environment: OptionEnvironment) throws(UsageError) -> DatabaseSettings {
        var policy = RetryPolicy()
        if let base = try seconds(initBackoff, "init-backoff", environment) {
            guard base > .zero else { throw UsageError("\(source("init-backoff", initBackoff)) must be more than 0 seconds") }
            policy.base = base
        }
        if let timeout = try seconds(initTimeout, "init-timeout", environment) { policy.timeout = timeout }
        let requiredByEnvironment = try environment.flag("init-required") ?? false
        return DatabaseSettings(policy: policy, required: initRequired || requiredByEnvironment)
    }

    private func source(_ option: String, _ commandLineValue: String?) -> String {
        commandLineValue != nil ? "--\(option)" : OptionEnvironment.variable(for: option)
    }
}

struct DatabaseSettings: Sendable, Equatable {
    var policy = RetryPolicy()
    /// Failing to initialize ends the program (status 1) instead of starting the server without tracking.
    var required = false
}
