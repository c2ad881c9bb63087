import Foundation
import MaiEnvironment

/// The `.env` fixtures in Tests/Fixtures/dotenv and what their `.expected` files say (format in the README there).
public let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/dotenv").path

public struct ExpectedVariable: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    public let value: String
    public let source: String
    public var description: String { "\(name)=\(value.debugDescription) from \(source)" }
}

public struct Fixture: Sendable, CustomStringConvertible {
    public let name: String
    public var environment: [String] = []
    public var override = false
    public var secretFileVars: [String] = []
    public var secrets: [String: String] = [:]
    public var hidden: [String] = []
    public var variables: [ExpectedVariable] = []
    public var error: (line: Int, text: String)?

    public var path: String { "\(fixturesDirectory)/\(name).env" }
    public var description: String { name }
}

public struct FixtureFormatError: Error, CustomStringConvertible {
    public let description: String

    public init(description: String) { self.description = description }
}

public enum FixtureCorpus {
    public static let all: [Fixture] = (try? load()) ?? []

    public static func load() throws -> [Fixture] {
        let names = try FileManager.default.contentsOfDirectory(atPath: fixturesDirectory)
            .filter { $0.hasSuffix(".env") }.map { String($0.dropLast(4)) }.sorted()
        return try names.map { name in
            let text = try String(contentsOfFile: "\(fixturesDirectory)/\(name).expected", encoding: .utf8)
            return try parseExpected(name: name, text)
        }
    }

    /// `NAME: reason` lines of python-dotenv-differences.txt.
    public static func pythonDifferences() throws -> [String: String] {
        let text = try String(contentsOfFile: "\(fixturesDirectory)/python-dotenv-differences.txt", encoding: .utf8)
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { throw FixtureFormatError(description: "no reason: \(line)") }
            result[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return result
    }

    public static func parseExpected(name: String, _ text: String) throws -> Fixture {
        var fixture = Fixture(name: name)
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) where !line.hasPrefix("#") {
            let (keyword, rest) = split(line)
            switch keyword {
            case "env": fixture.environment.append(rest)
            case "override": fixture.override = true
            case "secret-file-vars": fixture.secretFileVars = rest.split(separator: ",").map(String.init)
            case "hidden": fixture.hidden.append(rest)
            case "secret":
                let (file, content) = split(Substring(rest))
                fixture.secrets[file] = try jsonPrefix(Substring(content), in: name).value
            case "set":
                let (variable, tail) = split(Substring(rest))
                let (value, source) = try jsonPrefix(Substring(tail), in: name)
                fixture.variables.append(ExpectedVariable(name: variable, value: value, source: source))
            case "error":
                let (number, message) = split(Substring(rest))
                guard let line = Int(number) else { throw FixtureFormatError(description: "\(name): bad error line") }
                fixture.error = (line, message)
            default: throw FixtureFormatError(description: "\(name).expected: unknown line \(line)")
            }
        }
        return fixture
    }

    private static func split(_ line: Substring) -> (String, String) {
        guard let space = line.firstIndex(of: " ") else { return (String(line), "") }
        return (String(line[..<space]), String(line[line.index(after: space)...]))
    }

    /// A JSON string at the start of the text, and what follows it.
    private static func jsonPrefix(_ text: Substring, in name: String) throws -> (value: String, rest: String) {
        var escaped = false
        for index in text.indices.dropFirst() {
            if escaped { escaped = false; continue }
            if text[index] == "\\" { escaped = true; continue }
            guard text[index] == "\"" else { continue }
            let literal = Data(text[...index].utf8)
            let value = try JSONDecoder().decode(String.self, from: literal)
            return (value, text[text.index(after: index)...].trimmingCharacters(in: .whitespaces))
        }
        throw FixtureFormatError(description: "\(name).expected: unterminated JSON string in \(text)")
    }
}

/// A folder with a fixture's secret files, removed when the value goes.
public final class SecretsFolder {
    public let path: String

    public init(_ fixture: Fixture) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("mai-secrets-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (file, content) in fixture.secrets {
            try Data(content.utf8).write(to: URL(fileURLWithPath: "\(path)/\(file)"))
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public func environment(of fixture: Fixture) -> [String] {
        fixture.environment.map { $0.replacingOccurrences(of: "$SECRETS", with: path) } + ["SECRETS=\(path)"]
    }

    /// Loads the fixture as the only env file, as `--env-file` would.
    public func load(_ fixture: Fixture) -> Result<LoadedEnvironment, EnvironmentError> {
        let request = EnvironmentRequest(files: [fixture.path], override: fixture.override, secretVariables: fixture.secretFileVars)
        let loader = EnvironmentLoader(request: request, processEnvironment: environment(of: fixture))
        do {
            return .success(try loader.load())
        } catch {
            return .failure(error)
        }
    }

    public func expectedSource(_ token: String, in fixture: Fixture) -> VariableSource? {
        if token == "environment" { return .environment }
        if token.hasPrefix("secret:") { return .secretFile(path: "\(path)/\(token.dropFirst(7))") }
        return Int(token).map { .file(SourceLocation(file: fixture.path, line: $0)) }
    }
}
