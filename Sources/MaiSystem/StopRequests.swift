import Glibc

/// The one way the start-up waits: every pause before the server exists (a lock held by another run, the
/// migration gate, a retry's backoff, a busy SQLite file, a slow PostgreSQL) goes through `pause`, which returns
/// early with the TERM or INT that asks the program to stop. One token serves the whole start: the signal is
/// kept once seen, because the inbox hands each signal out only once, and every later step must see it too.
public final class StopRequests {
    private let waitForStop: (Duration) -> Signal?
    public private(set) var received: Signal?

    /// `waitForStop` waits up to the duration and returns a stop signal if one arrived meanwhile.
    public init(waitForStop: @escaping (Duration) -> Signal?) {
        self.waitForStop = waitForStop
    }

    /// Waits on the inbox, in which every signal has waited since `main` blocked them. If reading it fails, the
    /// pause still lasts its time, so that a retry loop never spins.
    public static func listening(to inbox: SignalInbox) -> StopRequests {
        StopRequests { timeout in
            do {
                return try inbox.waitForStopRequest(timeout: timeout)
            } catch {
                sleepFor(timeout)
                return nil
            }
        }
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
}
