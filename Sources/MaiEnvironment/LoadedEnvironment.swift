import Logging
import MaiSystem

/// Where a variable's effective value comes from, as `mai-entrypoint env` shows it.
public enum VariableSource: Sendable, Equatable, CustomStringConvertible {
    case file(SourceLocation)
    case environment
    case secretFile(path: String)

    public var description: String {
        switch self {
        case .file(let location): location.description
        case .environment: "environment"
        case .secretFile(let path): "secret file \(path)"
        }
    }
}

public struct LoadedVariable: Sendable, Equatable {
    public let name: String
    public let value: String
    public let source: VariableSource

    public init(name: String, value: String, source: VariableSource) {
        self.name = name
        self.value = value
        self.source = source
    }
}

/// What became of one env file: read, or (only for the default file) absent.
public enum FileOutcome: Sendable, Equatable {
    case loaded(path: String, variables: Int)
    case missingDefault(path: String)
}

/// The environment for this program and its child: the process environment with what the files and secret
/// files set.
public struct LoadedEnvironment: Sendable {
    /// The variables the files or secret files name, in the order they first appear, with their effective
    /// value (which is the process environment's when that wins).
    public let variables: [LoadedVariable]
    public let files: [FileOutcome]
    /// The entries for the child, byte for byte: the process environment in its order, changed values in place,
    /// new variables after it.
    public let environment: EnvironmentBlock

    /// The merged environment by name, first entry winning (as `getenv`), decoded.
    public var values: [String: String] { environment.values }

    /// One info line per file: which files were read, so an operator can tell a missing `.env` from an empty one.
    public func logFiles(to logger: Logger) {
        for outcome in files {
            switch outcome {
            case .loaded(let path, let count):
                logger.info("environment loaded", metadata: ["file": "\(path)", "variables": .stringConvertible(count)])
            case .missingDefault(let path):
                logger.info("no \(path) file; using the process environment")
            }
        }
    }
}
