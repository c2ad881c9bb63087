import MaiLogging
import MaiRedaction
import MaiSQL

/// From the moment the environment is loaded, every line the program writes (log lines, `status` and `env`
/// output) has the database password, in every reading and in every piece of four characters, and the
/// OpenRouter key struck out. The messages are redacted where they are made as well; this is the last guard.
func installSecretRedaction(_ variables: [String: String]) {
    let redactor = databaseSecretRedactor(variables)
    LogRedaction.install(messages: { redactor.redact($0) }, values: { redactor.redactValue($0) })
}
