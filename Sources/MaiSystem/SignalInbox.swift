import Glibc

extension Signal {
    /// TERM or INT: what `docker stop` and Ctrl-C send to end the program.
    public var isStopRequest: Bool { self == .terminate || self == .interrupt }
}

/// Every catchable signal, blocked and read from one signalfd. Created first thing in `main`, so that a signal
/// that arrives during start-up (options, environment, database) waits here instead of being lost: the kernel
/// drops a signal sent to PID 1 while its disposition is the default one, but never a blocked one.
public final class SignalInbox {
    private let signalFD: SignalFD
    public var descriptor: Int32 { signalFD.descriptor }

    public init() throws(SystemError) {
        let all = SignalSet.allCatchable()
        // Block before installing the handlers: a signal arriving in between would run the no-op handler and be
        // gone, while a blocked one stays pending whatever its disposition.
        try all.block()
        try installNoOpHandlers(for: all)
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
                if received.signal.isStopRequest { return received.signal }
            }
            let remaining = MonotonicInstant.now().duration(to: deadline)
            if remaining <= .zero { return nil }
            _ = try waitForReadable([descriptor], timeout: remaining)
        }
    }

    /// A TERM or INT that is pending, without taking it (sigpending leaves it queued); TERM first.
    public func pendingStopRequest() -> Signal? {
        var pending = sigset_t()
        guard sigpending(&pending) == 0 else { return nil }
        for signal in [Signal.terminate, .interrupt] where sigismember(&pending, signal.rawValue) == 1 {
            return signal
        }
        return nil
    }

    /// For the short subcommands (`env`, `status`, `healthcheck`): TERM and INT end the program at once with
    /// 128+N, even while it waits on a database or a socket. A handler is needed, not the default disposition:
    /// the kernel ignores a default-disposition signal sent to PID 1 from inside its namespace.
    public func exitOnStopRequests() throws(SystemError) {
        let stops = SignalSet([.terminate, .interrupt])
        for signal in stops.members {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = exitWithSignalStatus
            sigemptyset(&action.sa_mask)
            if sigaction(signal.rawValue, &action, nil) != 0 { throw SystemError("sigaction(\(signal))") }
        }
        // A TERM already pending is delivered (and ends the program) as soon as it is unblocked.
        var set = stops.raw
        if sigprocmask(SIG_UNBLOCK, &set, nil) != 0 { throw SystemError("sigprocmask") }
    }
}

/// `_exit` is async-signal-safe; `exit` is not (it runs atexit handlers and flushes stdio).
private let exitWithSignalStatus: @convention(c) (Int32) -> Void = { number in _exit(128 + number) }
