import ArgumentParser
import Glibc
import Logging
import MaiEnvironment
import MaiLogging
import MaiRedaction
import MaiSystem

/// `mai-entrypoint env`: what the env files and secret files set, and from where, for an operator checking a
/// configuration before starting anything. Secrets are masked.
struct EnvCommand: StartedCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Print the variables that the env files and secret files set, with their sources; secrets masked.",
        usage: "mai-entrypoint env [OPTIONS]",
        discussion: "EXIT STATUS: 0, or 2 when a file is missing, unreadable or malformed.")

    @OptionGroup var logging: LoggingOptions
    @OptionGroup var environmentFiles: EnvironmentFileOptions

    func execute(_ context: StartContext) throws {
        let environment = OptionEnvironment(context.environment)
        let settings = try logging.settings(environment)
        let request = try environmentFiles.settings(environment)
        bootstrapLogging(settings)
        let logger = Logger(label: "mai-entrypoint")
        let loaded = try EnvironmentFileOptions.load(request, processEnvironment: context.environment)
        let ignored = EnvironmentFileOptions.optionEnvironment(context.environment, loaded).ignored
        EnvironmentFileOptions.logLoaded(loaded, ignored: ignored, to: logger)
        for variable in loaded.variables {
            try? writeAll(STDOUT_FILENO, render(variable, as: settings.format) + "\n")
        }
    }
}

/// `NAME=VALUE  # SOURCE`, which reads like the env file line it came from; or one JSON object. A value read
/// from a secret file is a secret whatever its name (`--secret-file-vars` may name any variable).
func render(_ variable: LoadedVariable, as format: LogFormat) -> String {
    let fromSecretFile = if case .secretFile = variable.source { true } else { false }
    let masked = fromSecretFile && !isSecretName(variable.name)
        ? (variable.value.isEmpty ? "" : SecretRedactor.replacement)
        : maskSecret(name: variable.name, value: variable.value)
    let shown = LogRedaction.redactValue(masked)
    switch format {
    case .text:
        return "\(variable.name)=\(quotedIfNeeded(shown))  # \(variable.source)"
    case .json:
        return "{\"name\":\(jsonString(variable.name)),\"value\":\(jsonString(shown)),\"source\":\(jsonString(variable.source.description))}"
    }
}

/// Double-quoted, in env file syntax, when the bare value would read differently, span lines or hold a control
/// character (escaped by the program's one escape, so that nothing reaches the terminal raw).
private func quotedIfNeeded(_ value: String) -> String {
    let special: Set<Character> = ["#", "\"", "'", "\\", "$"]
    let needsQuotes = value.isEmpty || value.contains(where: { $0.isWhitespace || special.contains($0) })
        || value.unicodeScalars.contains(where: isControlCharacter)
    return needsQuotes ? doubleQuoted(value, backslashing: #""\$"#) : value
}
