import Logging
import MaiSystem

/// One log event, rendered as text (`2026-11-25T21:50:00.123Z [tag] info: message key=value`) or as one JSON
/// object. Fields come out sorted by name, so that the same event always reads the same.
public struct LogLine: Sendable {
    public let timestamp: String
    public let tag: String
    public let level: Logger.Level
    public let message: String
    public let fields: Logger.Metadata

    public init(timestamp: String, tag: String, level: Logger.Level, message: String, fields: Logger.Metadata) {
        self.timestamp = timestamp
        self.tag = tag
        self.level = level
        self.message = message
        self.fields = fields
    }

    public func rendered(as format: LogFormat) -> String {
        switch format {
        case .text: text
        case .json: json
        }
    }

    private var sortedFields: [(String, Logger.MetadataValue)] { fields.sorted { $0.key < $1.key } }

    var text: String {
        var line = "\(timestamp) [\(escapingControlCharacters(tag))] \(levelName): \(escapingControlCharacters(message))"
        for (key, value) in sortedFields {
            line += " \(key)=\(textValue(value))"
        }
        return line
    }

    var json: String {
        var line = "{\"ts\":\(jsonString(timestamp)),\"level\":\(jsonString(levelName)),\"tag\":\(jsonString(tag)),"
        line += "\"msg\":\(jsonString(message))"
        for (key, value) in sortedFields where !["ts", "level", "tag", "msg"].contains(key) {
            line += ",\(jsonString(key)):\(jsonValue(value))"
        }
        return line + "}"
    }

    /// `warning`, not swift-log's `warning`/`notice` mix: the four levels the options name.
    var levelName: String {
        switch level {
        case .trace, .debug: "debug"
        case .info, .notice: "info"
        case .warning: "warning"
        case .error, .critical: "error"
        }
    }
}

/// A log line must stay one line whatever a value holds, and show no control character raw.
func textValue(_ value: Logger.MetadataValue) -> String {
    logfmtValue(value.description)
}

func jsonValue(_ value: Logger.MetadataValue) -> String {
    switch value {
    case .string(let text): return jsonString(text)
    case .stringConvertible(let item):
        if item is any BinaryInteger { return item.description }
        // JSON has no NaN or infinity literal: those are written as the strings "nan", "inf", "-inf".
        if let number = item as? any BinaryFloatingPoint {
            return number.isFinite ? item.description : jsonString(item.description)
        }
        if let flag = item as? Bool { return flag ? "true" : "false" }
        return jsonString(item.description)
    case .array(let items): return "[" + items.map(jsonValue).joined(separator: ",") + "]"
    case .dictionary(let entries):
        let body = entries.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonValue($0.value))" }
        return "{" + body.joined(separator: ",") + "}"
    }
}
