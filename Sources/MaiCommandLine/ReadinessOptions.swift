import ArgumentParser
import MaiHealth
import MaiSupervision

/// Where the web server answers when it is ready, and how long start-up may take.
struct ReadinessOptions: ParsableArguments, SettingsGroup {
    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "Health URL probed until the server is ready; off disables probing and start-up protection (default http://127.0.0.1:${PORT:-8080}/health). (env: \(OptionEnvironment.variable(for: "health-url")))",
        valueName: "URL"), transform: HealthURLSetting.checked)
    var healthURL: HealthURLSetting?

    @Option(name: .long, parsing: .unconditional, help: seconds("Seconds to wait for the server to become ready before a warning (default 300).", "ready-timeout"),
            transform: Seconds.checked)
    var readyTimeout: Seconds?

    @Option(name: .long, parsing: .unconditional, help: seconds("Seconds a TERM or INT is held back while the server starts; 0 forwards at once (default 20).", "startup-grace"),
            transform: Seconds.checked)
    var startupGrace: Seconds?

    /// Every value checked now, before anything starts, even those that `off` makes unused.
    static func settings(_ given: Self?, _ environment: OptionEnvironment) throws(UsageError) -> ReadinessSettings {
        ReadinessSettings(url: try resolve(given?.healthURL, "health-url", environment),
                          readyTimeout: try resolve(given?.readyTimeout, "ready-timeout", environment),
                          startupGrace: try resolve(given?.startupGrace, "startup-grace", environment))
    }
}

/// The checked readiness options; the URL is completed from the merged environment, where PORT may come from an
/// env file.
struct ReadinessSettings: Sendable {
    var url: HealthURLSetting?
    var readyTimeout: Seconds?
    var startupGrace: Seconds?

    func configuration(port: String?) throws(UsageError) -> ReadinessConfiguration? {
        let target: HealthURL
        switch url {
        case .off: return nil
        case .url(let given): target = given
        case nil: target = try healthURLValue(nil, port: port, option: false)
        }
        var configuration = ReadinessConfiguration(url: target)
        if let readyTimeout { configuration.readyTimeout = readyTimeout.duration }
        if let startupGrace { configuration.startupGrace = startupGrace.duration }
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
