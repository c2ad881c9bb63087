import Logging
import MaiRedaction
import Synchronization

/// The last guard before a line is written: once the environment, and with it the secrets, is known, every
/// message and field value of every log line passes through `redact` (and `status` and `env` put their output
/// through it too). Errors are redacted where they are made as well; this catches what a driver or a future
/// message quotes that nobody thought of.
public enum LogRedaction {
    public typealias Redaction = @Sendable (String) -> String

    /// The two closures in a struct, not a tuple: a tuple of closures read out of the generic `Mutex` came back
    /// wrapped in one more reabstraction thunk each time (the inout access writes it back), so every call went
    /// through as many wrappers as calls before it: `env` with 40,000 variables took 15 s.
    private struct Installed: Sendable {
        let messages: Redaction
        let values: Redaction
    }

    private static let current = Mutex<Installed?>(nil)

    /// Replaces the redaction; the program installs it once, right after loading the environment. `messages`
    /// redacts a message's text, `values` a value shown whole (an env file's value).
    public static func install(messages: @escaping Redaction, values: @escaping Redaction) {
        current.withLock { $0 = Installed(messages: messages, values: values) }
    }

    public static func redact(_ text: String) -> String {
        guard let redaction = installed else { return text }
        return redaction.messages(text)
    }

    public static func redactValue(_ text: String) -> String {
        guard let redaction = installed else { return text }
        return redaction.values(text)
    }

    private static var installed: Installed? { current.withLock { $0 } }

    static func redact(_ value: Logger.MetadataValue) -> Logger.MetadataValue {
        switch value {
        case .string(let text): .string(redact(text))
        case .stringConvertible(let item):
            item is any BinaryInteger || item is Double || item is Bool ? value : .string(redact(item.description))
        case .array(let items): .array(items.map(redact))
        case .dictionary(let entries): .dictionary(entries.mapValues(redact))
        }
    }
}
