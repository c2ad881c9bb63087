import Foundation
import Glibc
import Logging
import MaiDatabase
import Testing

/// Log lines a test can read back: level and message of each event.
final class LogRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(Logger.Level, String)] = []

    var logger: Logger {
        Logger(label: "test") { _ in RecordingHandler(recorder: self) }
    }

    func append(_ level: Logger.Level, _ message: String) {
        lock.withLock { entries.append((level, message)) }
    }

    var messages: [String] { lock.withLock { entries.map(\.1) } }
    func messages(at level: Logger.Level) -> [String] { lock.withLock { entries.filter { $0.0 == level }.map(\.1) } }
}

struct RecordingHandler: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        recorder.append(event.level, event.message.description)
    }
}

func temporaryDirectory() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("mai-db-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

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
