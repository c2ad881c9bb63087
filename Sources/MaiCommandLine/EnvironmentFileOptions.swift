import ArgumentParser
import Logging
import MaiEnvironment
import MaiSystem

/// Which env files build the environment, shared by the main run and `env`.
struct EnvironmentFileOptions: ParsableArguments {
    @Option(name: .customLong("env-file"), parsing: .unconditionalSingleValue, help: ArgumentHelp(
        "Read variables from PATH; repeatable, later files win (default .env, or .env.dev when ENV=dev). (env: \(OptionEnvironment.variable(for: "env-file")), comma separated)",
        valueName: "PATH"))
    var envFile: [String] = []

    @Flag(name: .customLong("env-override"), help: help("Let the env files win over the process environment.", "env-override"))
    var envOverride = false

    @Option(name: .customLong("secret-file-vars"), parsing: .unconditional, help: ArgumentHelp(
        "More variables X that X_FILE may set from a secret file, comma separated. (env: \(OptionEnvironment.variable(for: "secret-file-vars")))",
        valueName: "A,B"), transform: SecretVariableNames.checked)
    var secretFileVars: SecretVariableNames?

    /// Reads the files, logging one line per file. A bad file is a usage error: nothing may start with an
    /// environment the operator did not mean.
    func load(_ request: EnvironmentRequest, processEnvironment: EnvironmentBlock, logger: Logger) throws(UsageError) -> LoadedEnvironment {
        let loaded: LoadedEnvironment
        do {
            loaded = try EnvironmentLoader(request: request, processEnvironment: processEnvironment).load()
        } catch {
            throw UsageError(error.description)
        }
        loaded.logFiles(to: logger)
        return loaded
    }

    /// Every value checked, before any file is read.
    func request(_ environment: OptionEnvironment) throws(UsageError) -> EnvironmentRequest {
        let files = envFile.isEmpty ? commaSeparated(environment.string("env-file")) : envFile
        let override = try environment.flag("env-override") ?? false || envOverride
        let secrets = try resolve(secretFileVars, "secret-file-vars", environment)?.names ?? []
        return EnvironmentRequest(files: files, override: override, secretVariables: secrets)
    }
}
