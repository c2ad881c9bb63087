/// Which env files to read and how they combine with the process environment.
public struct EnvironmentRequest: Sendable, Equatable {
    /// Files named by the operator, later ones winning; empty means the default file.
    public var files: [String]
    /// Let the files win over the process environment (Compose lets the environment win).
    public var override: Bool
    /// Secret variables besides the built-in ones, without `_FILE`.
    public var secretVariables: [String]

    public init(files: [String] = [], override: Bool = false, secretVariables: [String] = []) {
        self.files = files
        self.override = override
        self.secretVariables = secretVariables
    }
}

import MaiSystem

/// Builds the environment before anything starts: reads the env files, lets the process environment win (or
/// not), then reads the Docker secret files.
public struct EnvironmentLoader {
    /// The variables of this program that hold secrets; only these (and the requested ones) take `X_FILE`.
    public static let builtInSecretVariables = ["OPENROUTER_API_KEY", "DATABASE_URL", "DATABASE_PASSWORD"]
    public static let fileSizeLimit = 4 * 1024 * 1024

    public let request: EnvironmentRequest
    private let process: EnvironmentBlock
    private let directory: String?

    /// The default file is looked for in `directory`, or in the working directory when it is nil.
    public init(request: EnvironmentRequest, processEnvironment: EnvironmentBlock, directory: String? = nil) {
        self.request = request
        self.process = processEnvironment
        self.directory = directory
    }

    /// `processEnvironment` in `environ` form, `KEY=VALUE`, as text.
    public init(request: EnvironmentRequest, processEnvironment: [String], directory: String? = nil) {
        self.init(request: request, processEnvironment: EnvironmentBlock(strings: processEnvironment), directory: directory)
    }

    /// `.env`, or `.env.dev` when Open WebUI's own `ENV` says development.
    public static func defaultFile(environment: EnvironmentBlock) -> String {
        switch environment["ENV"]?.lowercased() {
        case "dev", "development": ".env.dev"
        default: ".env"
        }
    }

    public func load() throws(EnvironmentError) -> LoadedEnvironment {
        var merge = Merge(process: process, override: request.override)
        var expander = Expander()
        var outcomes: [FileOutcome] = []
        let (paths, required) = filesToRead
        for path in paths {
            guard let bytes = try read(path, required: required) else {
                outcomes.append(.missingDefault(path: path))
                continue
            }
            let names = try apply(DotEnvParser.parse(bytes, file: path), from: path, to: &merge, expander: &expander)
            outcomes.append(.loaded(path: path, variables: names))
        }
        try SecretFiles(names: secretVariables).apply(to: &merge)
        return LoadedEnvironment(variables: merge.effectiveVariables, files: outcomes, environment: merge.block)
    }

    /// The files named, each required; or the default file, which may be missing.
    private var filesToRead: (paths: [String], required: Bool) {
        guard request.files.isEmpty else { return (request.files, true) }
        let name = Self.defaultFile(environment: process)
        return ([directory.map { "\($0)/\(name)" } ?? name], false)
    }

    /// The built-in ones, then the requested ones not among them (a handful: no set of names needed).
    private var secretVariables: [String] {
        var names: [String] = []
        for name in Self.builtInSecretVariables + request.secretVariables where !names.contains(name) { names.append(name) }
        return names
    }

    /// The file's bytes, or nil for a default file that does not exist.
    private func read(_ path: String, required: Bool) throws(EnvironmentError) -> [UInt8]? {
        do {
            return try readFile(path, limit: Self.fileSizeLimit)
        } catch .notFound where !required {
            return nil
        } catch {
            throw .fileUnreadable(path: path, reason: error.reason)
        }
    }

    /// Applies a file's lines in order, so that each line can refer to the ones before. Returns how many
    /// variables the file sets.
    private func apply(
        _ bindings: [DotEnvBinding], from path: String, to merge: inout Merge, expander: inout Expander
    ) throws(EnvironmentError) -> Int {
        var names = Set<String>()
        for binding in bindings {
            let location = SourceLocation(file: path, line: binding.line)
            guard let template = binding.value else {
                if merge.inherit(binding.name) { names.insert(binding.name) } else { names.remove(binding.name) }
                continue
            }
            let value = try expand(template, of: binding.name, at: location, over: merge, expander: &expander)
            merge.set(LoadedVariable(name: binding.name, value: value, source: .file(location)))
            names.insert(binding.name)
        }
        return names.count
    }

    /// Takes `merge` as an argument rather than capturing the caller's copy, so that no second reference keeps
    /// the next `set` from changing the dictionaries in place.
    private func expand(
        _ template: [TemplatePiece], of name: String, at location: SourceLocation, over merge: Merge,
        expander: inout Expander
    ) throws(EnvironmentError) -> String {
        do {
            return try expander.expand(template, name: name) { merge.value($0) }
        } catch {
            throw .syntax(location, error)
        }
    }
}

/// The variables the files set so far, over the process environment. A name the process environment holds
/// twice reads as its first entry, as `getenv` finds it.
struct Merge {
    let processBlock: EnvironmentBlock
    /// The process environment by name, first entry winning: a view of the block for the many lookups.
    let process: [String: String]
    let override: Bool
    private var fromFiles: [String: LoadedVariable] = [:]
    private var order: [String] = []
    /// Names a secret file set although the process environment has them, empty: the secret wins there.
    private var secretsOverEmpty = Set<String>()

    init(process: EnvironmentBlock, override: Bool) {
        self.processBlock = process
        self.process = process.values
        self.override = override
    }

    /// The value a reference to `name` sees: the same one the child will get.
    func value(_ name: String) -> String? {
        filesWin(name) ? fromFiles[name]?.value ?? process[name] : process[name] ?? fromFiles[name]?.value
    }

    private func filesWin(_ name: String) -> Bool { override || secretsOverEmpty.contains(name) }

    /// A secret file's value, which takes the place of an empty one from the process environment too.
    mutating func setFromSecretFile(_ variable: LoadedVariable) {
        if process[variable.name]?.isEmpty == true { secretsOverEmpty.insert(variable.name) }
        set(variable)
    }

    mutating func set(_ variable: LoadedVariable) {
        if fromFiles[variable.name] == nil { order.append(variable.name) }
        fromFiles[variable.name] = variable
    }

    /// `KEY` alone: the process environment's value, if it has one. If not, KEY is unset, as python-dotenv
    /// has it: an earlier line's value does not survive a line that says KEY comes from the environment.
    mutating func inherit(_ name: String) -> Bool {
        guard let value = process[name] else {
            if fromFiles.removeValue(forKey: name) != nil { order.removeAll { $0 == name } }
            return false
        }
        set(LoadedVariable(name: name, value: value, source: .environment))
        return true
    }

    var effectiveVariables: [LoadedVariable] {
        order.compactMap { name in
            if !filesWin(name), let value = process[name] { return LoadedVariable(name: name, value: value, source: .environment) }
            return fromFiles[name]
        }
    }

    /// The child's environment: the process environment's entries in their order and untouched (bytes that
    /// are not UTF-8 included), with each value a file or secret file set put in place of its first entry (later
    /// entries of that name dropped) or, for a new name, after them in the order the files name them.
    var block: EnvironmentBlock {
        processBlock.setting(effectiveVariables.filter { $0.source != .environment }.map { ($0.name, $0.value) })
    }
}
