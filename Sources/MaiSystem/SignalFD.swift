import CMaiSystem
import Glibc

/// One signal as read from a signalfd: its number and who sent it.
public struct ReceivedSignal: Sendable, Equatable {
    public let signal: Signal
    public let senderPID: pid_t
    public let code: Int32

    public init(signal: Signal, senderPID: pid_t, code: Int32) {
        self.signal = signal
        self.senderPID = senderPID
        self.code = code
    }
}

/// A non-blocking signalfd. The signals of its set must be blocked first, so that they queue in the kernel
/// (real-time ones in order, without loss) until read here.
public struct SignalFD: ~Copyable {
    public let descriptor: Int32

    public init(_ set: SignalSet) throws(SystemError) {
        var mask = set.raw
        let fd = cmai_signalfd(&mask)
        if fd < 0 { throw SystemError("signalfd") }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// The next pending signal, or nil when none is pending.
    public func next() throws(SystemError) -> ReceivedSignal? {
        var record = cmai_signal_record()
        let result = systemCall("read(signalfd)") { cmai_read_signal(descriptor, &record) }
        if result < 0 && errno == EAGAIN { return nil }
        switch result {
        case 1: return ReceivedSignal(signal: Signal(record.signo), senderPID: record.pid, code: record.code)
        case 0: return nil
        default: throw SystemError("read(signalfd)")
        }
    }
}
