import Glibc
import MaiSystem

/// Every catchable signal, blocked and read from one signalfd. Created before anything else runs, so that a
/// signal that arrives during start-up (environment, database) waits here instead of killing the process.
public final class SignalInbox {
    private let signalFD: SignalFD
    public var descriptor: Int32 { signalFD.descriptor }

    public init() throws(SystemError) {
        let all = SignalSet.allCatchable()
        try installNoOpHandlers(for: all)
        try all.block()
        signalFD = try SignalFD(all)
    }

    /// The next pending signal, nil when none; never blocks.
    public func next() throws(SystemError) -> ReceivedSignal? { try signalFD.next() }

    /// Waits up to `timeout` for a TERM or INT, reading (and dropping) any other signal meanwhile.
    /// Used while the program waits between database attempts.
    public func waitForStopRequest(timeout: Duration) throws(SystemError) -> Signal? {
        let deadline = MonotonicInstant.now().advanced(by: timeout)
        while true {
            while let received = try next() {
                if SignalPolicy.isStopRequest(received.signal) { return received.signal }
            }
            let remaining = MonotonicInstant.now().duration(to: deadline)
            if remaining <= .zero { return nil }
            _ = try waitForReadable([descriptor], timeout: remaining)
        }
    }
}
