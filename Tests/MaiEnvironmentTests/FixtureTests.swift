import Foundation
import MaiEnvironment
import MaiRedaction
import MaiTestSupport
import Testing

@Suite struct FixtureTests {
    @Test func corpusIsComplete() throws {
        let fixtures = try FixtureCorpus.load()
        #expect(fixtures.count >= 40)
        #expect(fixtures.contains { $0.error != nil })
        #expect(fixtures.contains { !$0.variables.isEmpty })
    }

    @Test(arguments: FixtureCorpus.all)
    func fixtureLoadsAsExpected(_ fixture: Fixture) throws {
        let secrets = try SecretsFolder(fixture)
        switch secrets.load(fixture) {
        case .success(let loaded):
            #expect(fixture.error == nil, "loaded, but \(fixture.name).expected says it fails")
            try expectVariables(loaded, fixture, secrets)
        case .failure(let error):
            try expectError(error, fixture)
        }
    }

    private func expectVariables(_ loaded: LoadedEnvironment, _ fixture: Fixture, _ secrets: SecretsFolder) throws {
        let expected = try fixture.variables.map { variable in
            let source = try #require(secrets.expectedSource(variable.source, in: fixture))
            let value = variable.value.replacingOccurrences(of: "$SECRETS", with: secrets.path)
            return LoadedVariable(name: variable.name, value: value, source: source)
        }
        #expect(loaded.variables == expected)
        // The file's count covers what it sets, a name a secret file then replaced (an empty X=) included.
        let text = (try? String(contentsOfFile: fixture.path, encoding: .utf8)) ?? ""
        let fromFile = loaded.variables.filter {
            if case .secretFile = $0.source { text.hasPrefix("\($0.name)=") || text.contains("\n\($0.name)=") } else { true }
        }
        #expect(loaded.files == [.loaded(path: fixture.path, variables: fromFile.count)])
        for variable in loaded.variables {
            let shown = maskSecret(name: variable.name, value: variable.value)
            for hidden in fixture.hidden { #expect(!shown.contains(hidden), "\(variable.name) shown as \(shown)") }
            #expect(loaded.values[variable.name] == variable.value)
        }
    }

    private func expectError(_ error: EnvironmentError, _ fixture: Fixture) throws {
        let expected = try #require(fixture.error, "failed with \(error), but \(fixture.name).expected lists no error")
        #expect(error.description.contains(expected.text), "\(error)")
        if expected.line > 0 {
            guard case .syntax(let location, _) = error else {
                Issue.record("\(error) is not an error on a line")
                return
            }
            #expect(location == SourceLocation(file: fixture.path, line: expected.line))
        }
        for hidden in fixture.hidden { #expect(!error.description.contains(hidden)) }
    }
}
