import ArgumentParser
import MaiSupervision

/// How the child is stopped, and how its output and exit are passed on.
struct SupervisionOptions: ParsableArguments, SettingsGroup {
    @Option(name: .long, parsing: .unconditional, help: seconds("Seconds the child has after the first TERM or INT before its process group is killed (default 8).", "stop-timeout"),
            transform: Seconds.checked)
    var stopTimeout: Seconds?

    @Option(name: .long, parsing: .unconditional, help: seconds("Seconds the processes the child left behind have between TERM and KILL (default 2).", "orphan-grace"),
            transform: Seconds.checked)
    var orphanGrace: Seconds?

    @Option(name: .long, parsing: .unconditional, help: seconds("Seconds a first TERM to a ready server waits before it is forwarded, while `healthcheck` fails so that load balancers stop sending requests; a second TERM or an INT forwards at once; the stop timeout counts from the forward (default 0).", "drain"),
            transform: Seconds.checked)
    var drain: Seconds?

    @Flag(name: .long, help: help("Forward signals to the child's whole process group.", "signal-group"))
    var signalGroup = false

    @Flag(name: .long, help: help("Exit 0 when the child dies of the TERM or INT forwarded to stop it.", "clean-stop-status"))
    var cleanStopStatus = false

    /// Only `--tag-child-output=TAG` takes a value; EntryPoint turns the option alone into `=webui` before parsing.
    @Option(name: .customLong("tag-child-output"), help: ArgumentHelp(
        "Prefix each line of the child's stdout and stderr with [TAG]; write --tag-child-output=TAG, or the option alone for [webui]. (env: \(OptionEnvironment.variable(for: "tag-child-output")))",
        valueName: "TAG"), transform: LineTag.checked)
    var tagChildOutput: LineTag?

    static func settings(_ given: Self?, _ environment: OptionEnvironment) throws(UsageError) -> SupervisorConfiguration {
        var configuration = SupervisorConfiguration()
        if let value = try resolve(given?.stopTimeout, "stop-timeout", environment) { configuration.stopTimeout = value.duration }
        if let value = try resolve(given?.orphanGrace, "orphan-grace", environment) { configuration.orphanGrace = value.duration }
        if let value = try resolve(given?.drain, "drain", environment) { configuration.drain = value.duration }
        configuration.signalGroup = try environment.flag(given?.signalGroup, "signal-group")
        configuration.cleanStopStatus = try environment.flag(given?.cleanStopStatus, "clean-stop-status")
        configuration.outputTag = try outputTag(given?.tagChildOutput, environment)
        return configuration
    }

    /// The variable is checked even when the command line sets the tag, as every option's variable is.
    private static func outputTag(_ given: LineTag?, _ environment: OptionEnvironment) throws(UsageError) -> String? {
        let fromEnvironment: String?
        switch environment.string("tag-child-output")?.lowercased() {
        case nil, "0", "false", "no", "off": fromEnvironment = nil
        case "1", "true", "yes", "on": fromEnvironment = "webui"
        default: fromEnvironment = try environment.value("tag-child-output", as: LineTag.self)?.text
        }
        return given?.text ?? fromEnvironment
    }
}
