import MaiLogging
import MaiOpenWebUI
import MaiSQL
import MaiSupervision
import MaiSystem
import MaiUsageTracking

/// The usage-tracking step that must wait for the app's own migrations (they create the usage tables when the
/// server starts): this program again, as `init-db --after-app-migrations`, a child of the supervisor started
/// once the server is ready (at once without a readiness probe). It blocks on the database, so it cannot run
/// in PID 1's loop; it polls for the app's tables until --init-timeout, records the organization and logs the
/// usual `Usage tracking initialized for …` line. With --init-required its failure stops the server.
enum UsageTrackingFollowUp {
    static let flag = "--after-app-migrations"

    /// The environment is the one the run resolved (env files and secret files included): the follow-up reads
    /// no file again. Every option it needs is passed on its command line, which wins over any variable.
    static func task(settings: RunSettings, environment: EnvironmentBlock) -> SupervisorConfiguration.FollowUp {
        var arguments = ["/proc/self/exe", "init-db", flag,
                         "--log-format", settings.logging.format.rawValue, "--log-tag", settings.logging.tag,
                         "--log-level", settings.logging.level.rawValue,
                         "--init-backoff", secondsArgument(settings.database.policy.base),
                         "--init-timeout", secondsArgument(settings.database.policy.timeout)]
        if let directory = settings.dataSafety.openWebUIDirectory { arguments += ["--openwebui-dir", directory] }
        return SupervisorConfiguration.FollowUp(command: arguments.map { Array($0.utf8) }, environment: environment,
                                                required: settings.database.required)
    }

    /// `12.345`: milliseconds, as `parseSeconds` reads them back.
    private static func secondsArgument(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
