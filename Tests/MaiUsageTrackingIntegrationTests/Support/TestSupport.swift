import Foundation
import Glibc
import Logging
import MaiOpenWebUI
import MaiSQL
import MaiTestSupport
import MaiUsageTracking
import Testing

let organizationEnvironment = [
    "OPENROUTER_EXTERNAL_USER": "org-acme", "ORGANIZATION_NAME": "Acme Corp",
    "OPENROUTER_API_KEY": "sk-or-v1-0123456789abcdef0123456789abcdef",
]

/// Initialization as the program runs it, against the database the environment names, with quick retries.
func initialize(_ environment: [String: String], timeout: Duration = .seconds(20),
                recorder: LogRecorder = LogRecorder()) -> InitializationOutcome {
    UsageTrackingInitialization(environment: organizationEnvironment.merging(environment) { $1 },
                                policy: RetryPolicy(base: .milliseconds(20), cap: .milliseconds(500), timeout: timeout),
                                logger: recorder.logger, stop: .never()).run()
}

extension InitializationOutcome {
    var report: InitializationReport? {
        if case .initialized(let report) = self { return report }
        return nil
    }

    var failure: InitializationFailure? {
        if case .failed(let failure) = self { return failure }
        return nil
    }
}

/// Runs a shell command line and returns its standard output; fails the test on a non-zero status.
@discardableResult
func shell(_ command: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "command failed: \(command)", sourceLocation: sourceLocation)
    return String(decoding: data, as: UTF8.self)
}

/// Single-quoted for the shell.
func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

/// The `sqlite3` command's answer to one query, as lines.
func sqlite(_ path: String, _ sql: String) throws -> [String] {
    try shell("sqlite3 \(quoted(path)) \(quoted(sql))").split(separator: "\n").map(String.init)
}

func fileBytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }
