import Glibc
import Logging
import MaiSystem
import Synchronization

public enum LogFormat: String, CaseIterable, Sendable {
    case text, json
}

/// What every log line carries: the tag operators grep for, the format, and the lowest level written.
public struct LogSettings: Sendable, Equatable {
    public var tag: String
    public var format: LogFormat
    public var level: Logger.Level

    public init(tag: String = "mai-entrypoint", format: LogFormat = .text, level: Logger.Level = .info) {
        self.tag = tag
        self.format = format
        self.level = level
    }
}

/// Writes one line per event to a descriptor (stderr by default) with a single write, so lines from the
/// supervisor and from a tagged child never interleave inside a line.
public struct TaggedLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let settings: LogSettings
    private let descriptor: Int32

    public init(settings: LogSettings, descriptor: Int32 = 2) {
        self.settings = settings
        self.logLevel = settings.level
        self.descriptor = descriptor
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // Secrets are struck before rendering: JSON and quoting would otherwise split a secret with escapes.
        let fields = metadata.merging(event.metadata ?? [:]) { _, new in new }.mapValues(LogRedaction.redact)
        let line = LogLine(
            timestamp: WallClockTime.now().iso8601, tag: settings.tag, level: event.level,
            message: LogRedaction.redact(event.message.description), fields: fields)
        var text = line.rendered(as: settings.format) + "\n"
        // Through the sink: a stalled reader of stderr must never block the supervisor's loop.
        text.withUTF8 { outputSink(for: descriptor).write(UnsafeRawBufferPointer($0), .log) }
    }

    /// The line that stands for lines dropped while the reader of stderr was stalled.
    func droppedLinesReport(_ count: Int) -> [UInt8] {
        let line = LogLine(timestamp: WallClockTime.now().iso8601, tag: settings.tag, level: .warning,
                           message: "\(count) log lines dropped", fields: ["dropped": .stringConvertible(count)])
        return Array((line.rendered(as: settings.format) + "\n").utf8)
    }
}

/// Installs the handler for every logger of the process. swift-log allows this once per process.
public func bootstrapLogging(_ settings: LogSettings) {
    KnownLogSettings.set(settings)
    LoggingSystem.bootstrap { _ in TaggedLogHandler(settings: settings) }
    standardErrorSink.droppedLinesReport = TaggedLogHandler(settings: settings).droppedLinesReport
    // Whatever the program leaves waiting goes out before it exits, for a while at most: an exit must not
    // hang on a reader that never comes back.
    atexit { flushStandardSinksBeforeExit() }
}

private func flushStandardSinksBeforeExit() {
    let giveUp = MonotonicInstant.now().advanced(by: .seconds(2))
    for sink in [standardOutputSink, standardErrorSink] {
        sink.flushWaiting { MonotonicInstant.now() >= giveUp }
    }
}

/// The settings of the program's own lines from the moment they are known: first from the command line and the
/// process environment, then as bootstrapped (an env file may set them). The fatal line follows them.
public enum KnownLogSettings {
    private static let current = Mutex<LogSettings?>(nil)

    public static func set(_ settings: LogSettings) { current.withLock { $0 = settings } }

    public static var value: LogSettings? { current.withLock { $0 } }
}

/// The line of a program that ends on an error: redacted and escaped as every line is, and a JSON object once
/// the format is known to be JSON (a collector drops a line that is not).
public func fatalLine(_ message: String) -> String {
    let redacted = LogRedaction.redact(message)
    guard let settings = KnownLogSettings.value, settings.format == .json else {
        return "mai-entrypoint: error: \(escapingControlCharacters(redacted))"
    }
    let line = LogLine(timestamp: WallClockTime.now().iso8601, tag: settings.tag, level: .error, message: redacted, fields: [:])
    return line.rendered(as: .json)
}
