import MaiSQL
import MaiSystem

/// Why initialization ended without success.
public enum InitializationFailure: Error, Equatable, Sendable, CustomStringConvertible {
    case permanent(DatabaseError)
    case timedOut(last: DatabaseError, attempts: Int, elapsed: Duration)
    case stopped(Signal)

    public var description: String {
        switch self {
        case .permanent(let error): error.description
        case .timedOut(let last, let attempts, let elapsed):
            "gave up after \(elapsed.secondsText)s and \(attempts) attempts: \(last)"
        case .stopped(let signal): "stopped by \(signal)"
        }
    }
}
