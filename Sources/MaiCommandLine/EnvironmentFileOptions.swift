import ArgumentParser
import Logging
import MaiEnvironment
import MaiSystem

/// Which env files build the environment, shared by the main run and `env`.
struct EnvironmentFileOptions: ParsableArguments, SettingsGroup {
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

    /// Reads the files. A bad file is a usage error: nothing may start with an environment the operator did not
    /// mean. Nothing is logged here: the files may set how the program logs (see `optionEnvironment`).
    static func load(_ request: EnvironmentRequest, processEnvironment: EnvironmentBlock) throws(UsageError) -> LoadedEnvironment {
        let loaded: LoadedEnvironment
        do {
            loaded = try EnvironmentLoader(request: request, processEnvironment: processEnvironment).load()
        } catch {
            throw UsageError(error.description)
        }
        // From here on every line the program writes is cleared of every reading of the database password.
        installSecretRedaction(loaded.environment.values)
        return loaded
    }

    /// For a command with options of its own: the env files read, and the option variables they complete.
    func loadWithOptions(_ process: EnvironmentBlock) throws(UsageError) -> (loaded: LoadedEnvironment, options: OptionEnvironment, ignored: [LoadedVariable]) {
        let loaded = try Self.load(try settings(OptionEnvironment(process)), processEnvironment: process)
        let (options, ignored) = Self.optionEnvironment(process, loaded)
        return (loaded, options, ignored)
    }

    /// The options that choose and combine the env files: an env file cannot set them, they are read before it.
    static let fileChoosingOptions = ["env-file", "env-override", "secret-file-vars"]

    /// The variables the options read: the process environment's, then the `MAI_ENTRYPOINT_*` that the env files
    /// set (the process environment wins, as the command line wins over both). Also returns what an env file
    /// set but cannot apply, for `logLoaded` to warn about.
    static func optionEnvironment(_ process: EnvironmentBlock,
                                  _ loaded: LoadedEnvironment) -> (options: OptionEnvironment, ignored: [LoadedVariable]) {
        let choosing = fileChoosingOptions.map(OptionEnvironment.variable(for:))
        var block = process
        var sources: [String: String] = [:]
        var ignored: [LoadedVariable] = []
        for variable in loaded.variables where variable.name.hasPrefix(OptionEnvironment.prefix) && process[variable.name] == nil {
            guard case .file(let location) = variable.source else { continue }
            if choosing.contains(variable.name) {
                ignored.append(variable)
                continue
            }
            block.set(variable.name, to: variable.value)
            sources[variable.name] = location.description
        }
        return (OptionEnvironment(block, sources: sources), ignored)
    }

    /// One line per file read, and a warning for each variable an env file set that chooses the env files.
    static func logLoaded(_ loaded: LoadedEnvironment, ignored: [LoadedVariable], to logger: Logger) {
        loaded.logFiles(to: logger)
        for variable in ignored {
            logger.warning("\(variable.name) in \(variable.source) is ignored: it chooses the env files, so it is read from the process environment only")
        }
    }

    /// Every value checked, before any file is read.
    static func settings(_ given: Self?, _ environment: OptionEnvironment) throws(UsageError) -> EnvironmentRequest {
        let givenFiles = given?.envFile ?? []
        let files = givenFiles.isEmpty ? commaSeparated(environment.string("env-file")) : givenFiles
        let override = try environment.flag(given?.envOverride, "env-override")
        let secrets = try resolve(given?.secretFileVars, "secret-file-vars", environment)?.names ?? []
        return EnvironmentRequest(files: files, override: override, secretVariables: secrets)
    }
}
