import ArgumentParser
import MaiHealth
import MaiSupervision

/// Where the web server answers when it is ready, and how long start-up may take.
struct ReadinessOptions: ParsableArguments {
    @Option(name: .long, help: help("Health URL probed until the server is ready; off disables probing and start-up protection (default http://127.0.0.1:${PORT:-8080}/health).", "health-url"))
    var healthURL: String?

    @Option(name: .long, help: help("Seconds to wait for the server to become ready before a warning (default 300).", "ready-timeout"))
    var readyTimeout: String?

    @Option(name: .long, help: help("Seconds a TERM or INT is held back while the server starts; 0 forwards at once (default 20).", "startup-grace"))
    var startupGrace: String?

    static let optionsTakingValues: Set<String> = ["--health-url", "--ready-timeout", "--startup-grace"]

    /// Built from the merged environment, since PORT may come from an env file.
    func configuration(_ options: OptionEnvironment, variables: [String: String]) throws(UsageError) -> ReadinessConfiguration? {
        let text = healthURL ?? options.string("health-url")
        if text?.lowercased() == "off" { return nil }
        var configuration = ReadinessConfiguration(url: try healthURLValue(text, port: variables["PORT"], option: healthURL != nil))
        if let value = try seconds(readyTimeout, "ready-timeout", options) { configuration.readyTimeout = value }
        if let value = try seconds(startupGrace, "startup-grace", options) { configuration.startupGrace = value }
        return configuration
    }
}

/// The URL given, or Open WebUI's own endpoint on PORT; a bad one names where it came from.
func healthURLValue(_ text: String?, port: String?, option: Bool) throws(UsageError) -> HealthURL {
    do {
        guard let text else { return try HealthURL.openWebUI(port: port) }
        return try HealthURL(text)
    } catch {
        let source = text == nil ? "PORT" : option ? "--health-url" : OptionEnvironment.variable(for: "health-url")
        throw UsageError("\(source): \(error.description)")
    }
}
