import ArgumentParser
import Glibc
import Logging
import MaiHealth
import MaiSystem

/// `mai-entrypoint healthcheck`: for the image's HEALTHCHECK, which then needs neither curl nor jq. It reads
/// the same env files and variables as the run, so that it probes what the run probes. Its status is 0 or 1,
/// never 2: Docker reserves 2, so even a usage error is 1.
struct HealthcheckCommand: StartedCommand, UsageErrorStatus {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Exit 0 when the web server answers its health URL with 200 and {\"status\": true}, else 1.",
        discussion: """
            Fails at once, without asking the server, while the supervisor is stopping (--drain): it reads \(SupervisorStateFile.defaultPath), \
            which it believes only when the process that wrote it still runs.

            EXIT STATUS: 0 healthy; 1 for anything else, a bad option or env file included (never 2, which Docker reserves).
            """)

    static let usageErrorStatus: Int32 = 1

    @Option(name: .long, help: help("URL to GET (default http://127.0.0.1:${PORT:-8080}/health, PORT read as the run reads it).", "health-url"))
    var url: String?

    @Option(name: .long, parsing: .unconditional, help: "Seconds to wait for the answer (default 5).", transform: Seconds.checked)
    var timeout: Seconds?

    @OptionGroup var environmentFiles: EnvironmentFileOptions

    func execute(_ context: StartContext) throws {
        let target: HealthURL
        let limit: Duration
        do {
            (target, limit) = try settings(context.environment)
        } catch {
            EntryPoint.fail(error.description, status: 1)
        }
        switch SupervisorStateFile().read() {
        case .current(.stopping, let pid):
            EntryPoint.printLine("unhealthy: stopping: mai-entrypoint (pid \(pid)) is draining or stopping the server")
            throw ExitCode(1)
        case .current(.starting, let pid):
            EntryPoint.printLine("unhealthy: starting: mai-entrypoint (pid \(pid)) has not seen the server ready yet")
            throw ExitCode(1)
        case .current(.running, _), .stale, .absent:
            break
        }
        switch checkHealth(target, timeout: limit) {
        case .healthy:
            EntryPoint.printLine("healthy: \(target)")
        case .unhealthy(let reason):
            EntryPoint.printLine("unhealthy: \(target): \(reason)")
            throw ExitCode(1)
        }
    }

    /// The URL the run would probe and the time allowed. As in the run, MAI_ENTRYPOINT_* options come from
    /// the process environment and PORT from the environment merged with the env files.
    private func settings(_ environment: EnvironmentBlock) throws(UsageError) -> (HealthURL, Duration) {
        // The files are read quietly: the one line this command prints is its verdict.
        let (loaded, options, _) = try environmentFiles.loadWithOptions(environment)
        let text = url ?? options.string("health-url").flatMap { $0.lowercased() == "off" ? nil : $0 }
        let target = whereTheRunProbes(try healthURLValue(text, port: loaded.environment["PORT"], option: url != nil))
        return (target, timeout?.duration ?? .seconds(5))
    }
}

/// In a container, PID 1 is this program supervising the server: the default URL follows the server to where
/// PID 1's process tree listens, as the run's readiness probe does (`open-webui serve --port 18080`, no PORT).
/// Elsewhere PID 1 is some other init, whose tree is the whole machine: PORT's guess stands.
private func whereTheRunProbes(_ url: HealthURL) -> HealthURL {
    guard url.followsServer, getpid() != 1, runsSameExecutable(as: 1) else { return url }
    return url.following(listeningAddresses(ofProcessTree: 1)) ?? url
}

/// A subcommand whose usage errors (bad options, unparsable arguments) end with this status instead of 2.
protocol UsageErrorStatus {
    static var usageErrorStatus: Int32 { get }
}
