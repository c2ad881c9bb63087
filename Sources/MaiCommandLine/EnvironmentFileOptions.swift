import ArgumentParser
import Logging
import MaiEnvironment

/// Which env files build the environment, shared by the main run and `env`.
struct EnvironmentFileOptions: ParsableArguments {
    @Option(name: .customLong("env-file"), help: ArgumentHelp(
        "Read variables from PATH; repeatable, later files win (default .env, or .env.dev when ENV=dev). (env: \(OptionEnvironment.variable(for: "env-file")), comma separated)",
        valueName: "PATH"))
    var envFile: [String] = []

    @Flag(name: .customLong("env-override"), help: help("Let the env files win over the process environment.", "env-override"))
    var envOverride = false

    @Option(name: .customLong("secret-file-vars"), help: ArgumentHelp(
        "More variables X that X_FILE may set from a secret file, comma separated. (env: \(OptionEnvironment.variable(for: "secret-file-vars")))",
        valueName: "A,B"))
    var secretFileVars: String?

    /// Reads the files, logging one line per file. A bad file is a usage error: nothing may start with an
    /// environment the operator did not mean.
    func load(_ environment: OptionEnvironment, processEnvironment: [String], logger: Logger) throws(UsageError) -> LoadedEnvironment {
        let loader = EnvironmentLoader(request: try request(environment), processEnvironment: processEnvironment)
        let loaded: LoadedEnvironment
        do {
            loaded = try loader.load()
        } catch {
            throw UsageError(error.description)
        }
        installSecretRedaction(environmentDictionary(loaded.environment))
        loaded.logFiles(to: logger)
        return loaded
    }

    func request(_ environment: OptionEnvironment) throws(UsageError) -> EnvironmentRequest {
        let files = envFile.isEmpty ? commaSeparated(environment.string("env-file")) : envFile
        let override = try environment.flag("env-override") ?? false || envOverride
        return EnvironmentRequest(files: files, override: override, secretVariables: try secretVariables(environment))
    }

    /// Names as given, with or without `_FILE`: `OPENROUTER_API_KEY` and `OPENROUTER_API_KEY_FILE` mean the same.
    private func secretVariables(_ environment: OptionEnvironment) throws(UsageError) -> [String] {
        let source = secretFileVars != nil ? "--secret-file-vars" : OptionEnvironment.variable(for: "secret-file-vars")
        var names: [String] = []
        for item in commaSeparated(secretFileVars ?? environment.string("secret-file-vars")) {
            let name = item.hasSuffix("_FILE") ? String(item.dropLast(5)) : item
            guard isVariableName(name) else { throw UsageError("\(source): \(item) is not a variable name") }
            names.append(name)
        }
        return names
    }
}

private func commaSeparated(_ text: String?) -> [String] {
    guard let text else { return [] }
    return text.split(separator: ",").map { $0.trimmingBlanks() }.filter { !$0.isEmpty }
}

private func isVariableName(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
    return name.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
}

extension Substring {
    fileprivate func trimmingBlanks() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
