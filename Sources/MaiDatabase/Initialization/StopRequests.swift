import Glibc
import MaiSystem

/// The one way initialization waits: every pause (backoff, a SQLite lock) goes through `waitForStop`, which
/// returns early with the TERM or INT that asks the program to stop. The signal is kept once seen, because
/// the caller's inbox hands each signal out only once.
public final class StopRequests {
    private let waitForStop: (Duration) -> Signal?
    public private(set) var received: Signal?

    /// `waitForStop` waits up to the duration and returns a stop signal if one arrived meanwhile.
    public init(waitForStop: @escaping (Duration) -> Signal?) {
        self.waitForStop = waitForStop
    }

    /// For callers that cannot be asked to stop (tests, `status`): pauses simply sleep.
    public static func never() -> StopRequests {
        StopRequests { duration in
            sleepFor(duration)
            return nil
        }
    }

    /// Pauses for `duration` unless a stop request arrives first; returns that request.
    @discardableResult
    public func pause(_ duration: Duration) -> Signal? {
        if received == nil { received = waitForStop(max(duration, .zero)) }
        return received
    }

    /// Throws when a stop request is pending, without waiting.
    public func check() throws(DatabaseError) {
        if let signal = pause(.zero) { throw .interrupted(signal) }
    }
}
