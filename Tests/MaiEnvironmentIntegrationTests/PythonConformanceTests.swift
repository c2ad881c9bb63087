import Foundation
import MaiEnvironment
import MaiTestSupport
import Testing

/// The same fixtures read by python-dotenv (`load_dotenv`, which lets the process environment win unless
/// `override`, as this program does), in one python3 run for all of them.
@Suite struct PythonConformanceTests {
    @Test func differencesListNamesFixtures() throws {
        let names = Set(try FixtureCorpus.load().map(\.name))
        for (name, reason) in try FixtureCorpus.pythonDifferences() {
            #expect(names.contains(name), "python-dotenv-differences.txt lists \(name), which is no fixture")
            #expect(reason.count > 20, "\(name) needs a reason")
        }
    }

    @Test(arguments: FixtureCorpus.all)
    func agreesWithPythonDotenv(_ fixture: Fixture) throws {
        let comparison = try #require(try PythonComparison.shared.get()[fixture.name])
        let listed = try FixtureCorpus.pythonDifferences()[fixture.name] != nil
        if listed {
            #expect(!comparison.agrees, "listed as a difference, but python-dotenv agrees: \(comparison)")
        } else if comparison.python.rejected {
            #expect(comparison.ours == nil, "python-dotenv rejects the file, this program accepts it: \(comparison)")
        } else {
            #expect(comparison.ours == comparison.python.values, "\(comparison)")
        }
    }
}

struct PythonOutcome: Decodable, Equatable {
    let rejected: Bool
    let values: [String: String]
}

/// This program's merged environment (nil: rejected) beside python-dotenv's, for one fixture.
struct PythonComparison: CustomStringConvertible {
    let ours: [String: String]?
    let python: PythonOutcome

    var agrees: Bool { python.rejected ? ours == nil : ours == python.values }

    var description: String {
        let mine = ours.map { "\($0.sorted { $0.key < $1.key })" } ?? "rejected"
        let theirs = python.rejected ? "rejected" : "\(python.values.sorted { $0.key < $1.key })"
        return "ours \(mine), python-dotenv \(theirs)"
    }

    static let shared: Result<[String: PythonComparison], any Error> = Result { try compareAll(FixtureCorpus.all) }

    private static func compareAll(_ fixtures: [Fixture]) throws -> [String: PythonComparison] {
        let folders = try fixtures.map { try SecretsFolder($0) }
        let cases = zip(fixtures, folders).map { fixture, folder in
            PythonCase(name: fixture.name, path: fixture.path, override: fixture.override,
                       environment: dictionary(folder.environment(of: fixture)))
        }
        let python = try runPython(cases)
        var result: [String: PythonComparison] = [:]
        for (fixture, folder) in zip(fixtures, folders) {
            guard let outcome = python[fixture.name] else {
                throw FixtureFormatError(description: "python3 gave no result for \(fixture.name)")
            }
            let ours = try? folder.load(fixture).get().values
            result[fixture.name] = PythonComparison(ours: ours, python: outcome)
        }
        return result
    }

    private static func dictionary(_ entries: [String]) -> [String: String] {
        var values: [String: String] = [:]
        for entry in entries {
            guard let equals = entry.firstIndex(of: "=") else { continue }
            values[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        return values
    }

    private struct PythonCase: Encodable {
        let name: String
        let path: String
        let override: Bool
        let environment: [String: String]
    }

    /// A file python-dotenv warns about ("could not parse statement") or cannot decode is rejected; it would
    /// skip the line and go on, which this program refuses to do.
    private static let script = """
        import json, logging, os, sys
        from dotenv import load_dotenv

        class Counter(logging.Handler):
            count = 0
            def emit(self, record):
                Counter.count += 1

        logger = logging.getLogger("dotenv.main")
        logger.addHandler(Counter(logging.WARNING))
        logger.propagate = False
        results = {}
        for case in json.load(sys.stdin):
            os.environ.clear()
            os.environ.update(case["environment"])
            Counter.count = 0
            try:
                load_dotenv(case["path"], override=case["override"], encoding="utf-8")
                rejected = Counter.count > 0
            except (UnicodeDecodeError, ValueError):
                rejected = True
            results[case["name"]] = {"rejected": rejected, "values": dict(os.environ)}
        json.dump(results, sys.stdout)
        """

    private static func runPython(_ cases: [PythonCase]) throws -> [String: PythonOutcome] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(try JSONEncoder().encode(cases))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let messages = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureFormatError(description: "python3 with python-dotenv failed (pip install python-dotenv): \(messages)")
        }
        return try JSONDecoder().decode([String: PythonOutcome].self, from: data)
    }
}
