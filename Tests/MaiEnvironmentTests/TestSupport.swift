import Foundation
import MaiEnvironment

/// A temporary folder for env and secret files, removed when the value goes.
final class TemporaryFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("mai-env-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try write(name, bytes: Array(text.utf8))
    }

    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let file = "\(path)/\(name)"
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }
}

/// Loads `text` as the only env file.
func load(
    _ text: String, environment: [String] = [], override: Bool = false, secrets: [String] = []
) throws(EnvironmentError) -> LoadedEnvironment {
    let folder: TemporaryFolder
    let path: String
    do {
        folder = try TemporaryFolder()
        path = try folder.write("test.env", text)
    } catch {
        throw .fileUnreadable(path: "test.env", reason: "test setup: \(error)")
    }
    return try withExtendedLifetime(folder) { () throws(EnvironmentError) -> LoadedEnvironment in
        let request = EnvironmentRequest(files: [path], override: override, secretVariables: secrets)
        return try EnvironmentLoader(request: request, processEnvironment: environment).load()
    }
}

/// The value `text` gives `name`, or the error it gives.
func value(_ name: String, in text: String, environment: [String] = []) -> Result<String?, EnvironmentError> {
    Result { () throws(EnvironmentError) -> String? in try load(text, environment: environment).values[name] }
}

/// The problem of a file that fails on a line, and the line.
func syntaxProblem(_ text: String) -> (line: Int, problem: SyntaxProblem)? {
    guard case .failure(.syntax(let location, let problem)) = Result(catching: { () throws(EnvironmentError) in try load(text) }) else {
        return nil
    }
    return (location.line, problem)
}
