import Foundation
import Logging

/// Log lines a test can read back: level and message of each event.
public final class LogRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(Logger.Level, String)] = []

    public init() {}

    public var logger: Logger {
        Logger(label: "test") { _ in RecordingHandler(recorder: self) }
    }

    public func append(_ level: Logger.Level, _ message: String) {
        lock.withLock { entries.append((level, message)) }
    }

    public var messages: [String] { lock.withLock { entries.map(\.1) } }
    public func messages(at level: Logger.Level) -> [String] { lock.withLock { entries.filter { $0.0 == level }.map(\.1) } }
}

public struct RecordingHandler: LogHandler {
    public let recorder: LogRecorder
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .debug

    public init(recorder: LogRecorder) { self.recorder = recorder }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        recorder.append(event.level, event.message.description)
    }
}

/// A new folder of its own under the temporary directory.
public func temporaryDirectory() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("mai-db-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}
