import ArgumentParser
import Glibc
import MaiHealth
import MaiSystem

/// `mai-entrypoint healthcheck`: for the image's HEALTHCHECK, which then needs neither curl nor jq.
struct HealthcheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck",
        abstract: "Exit 0 when the web server answers its health URL with 200 and {\"status\": true}, else 1.")

    @Option(name: .long, help: help("URL to GET (default http://127.0.0.1:${PORT:-8080}/health).", "health-url"))
    var url: String?

    @Option(name: .long, help: "Seconds to wait for the answer (default 5).")
    var timeout: String?

    func run() throws {
        let options = OptionEnvironment(processEnvironment())
        let text = url ?? options.string("health-url").flatMap { $0.lowercased() == "off" ? nil : $0 }
        let target = try healthURLValue(text, port: processEnvironment()["PORT"], option: url != nil)
        var limit = Duration.seconds(5)
        if let timeout {
            guard let value = parseSeconds(timeout) else { throw UsageError("--timeout \(timeout) is not a number of seconds") }
            limit = value
        }
        switch checkHealth(target, timeout: limit) {
        case .healthy:
            writeAll(STDOUT_FILENO, "healthy: \(target)\n")
        case .unhealthy(let reason):
            writeAll(STDOUT_FILENO, "unhealthy: \(target): \(reason)\n")
            throw ExitCode(1)
        }
    }
}
