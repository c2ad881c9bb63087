import CMaiSystem
import Glibc

/// A signal number with a readable name (`TERM`, `RTMIN+3`).
public struct Signal: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    public static let hangup = Signal(SIGHUP), interrupt = Signal(SIGINT), quit = Signal(SIGQUIT)
    public static let terminate = Signal(SIGTERM), kill = Signal(SIGKILL), child = Signal(SIGCHLD)
    public static let pipe = Signal(SIGPIPE), stop = Signal(SIGSTOP)
    public static let terminalInput = Signal(SIGTTIN), terminalOutput = Signal(SIGTTOU)
    public static let terminalStop = Signal(SIGTSTP)

    public static var realtimeMinimum: Int32 { cmai_sigrtmin() }
    public static var realtimeMaximum: Int32 { cmai_sigrtmax() }

    /// Raised by the kernel for a fault in the process itself; forwarding them would be meaningless.
    public static let synchronousFaults: Set<Signal> = [
        Signal(SIGSEGV), Signal(SIGBUS), Signal(SIGILL), Signal(SIGFPE), Signal(SIGTRAP), Signal(SIGSYS), Signal(SIGABRT),
    ]

    /// The job-control signals that must not be forwarded while a terminal is attached.
    public static let jobControl: Set<Signal> = [.terminalInput, .terminalOutput, .terminalStop]

    private static let names: [Int32: String] = [
        SIGHUP: "HUP", SIGINT: "INT", SIGQUIT: "QUIT", SIGILL: "ILL", SIGTRAP: "TRAP", SIGABRT: "ABRT",
        SIGBUS: "BUS", SIGFPE: "FPE", SIGKILL: "KILL", SIGUSR1: "USR1", SIGSEGV: "SEGV", SIGUSR2: "USR2",
        SIGPIPE: "PIPE", SIGALRM: "ALRM", SIGTERM: "TERM", SIGSTKFLT: "STKFLT", SIGCHLD: "CHLD", SIGCONT: "CONT",
        SIGSTOP: "STOP", SIGTSTP: "TSTP", SIGTTIN: "TTIN", SIGTTOU: "TTOU", SIGURG: "URG", SIGXCPU: "XCPU",
        SIGXFSZ: "XFSZ", SIGVTALRM: "VTALRM", SIGPROF: "PROF", SIGWINCH: "WINCH", SIGIO: "IO", SIGPWR: "PWR",
        SIGSYS: "SYS",
    ]

    /// The status a shell gives a process this signal ended, and this program's status when it stops for it
    /// before its child exists: 128 + N (143 for TERM, 130 for INT).
    public var exitStatus: Int32 { 128 + rawValue }

    public var description: String {
        if let name = Signal.names[rawValue] { return name }
        let low = Signal.realtimeMinimum
        if rawValue == Signal.realtimeMaximum { return "RTMAX" }
        if rawValue >= low && rawValue < Signal.realtimeMaximum {
            return rawValue == low ? "RTMIN" : "RTMIN+\(rawValue - low)"
        }
        return "SIG\(rawValue)"
    }
}

/// A set of signals, as the kernel takes it.
public struct SignalSet: Sendable {
    public private(set) var raw = sigset_t()
    public private(set) var members: [Signal] = []

    public init(_ signals: [Signal] = []) {
        sigemptyset(&raw)
        for signal in signals { insert(signal) }
    }

    /// Adds a signal; the C library refuses the few it reserves for itself, which are then left out.
    public mutating func insert(_ signal: Signal) {
        if sigaddset(&raw, signal.rawValue) == 0 { members.append(signal) }
    }

    public func contains(_ signal: Signal) -> Bool { sigismember(withUnsafePointer(to: raw) { $0 }, signal.rawValue) == 1 }

    /// Every signal a process may catch, from 1 to the last real-time one.
    public static func allCatchable() -> SignalSet {
        var set = SignalSet()
        set.members.reserveCapacity(Int(Signal.realtimeMaximum))
        for number in 1...Signal.realtimeMaximum where number != SIGKILL && number != SIGSTOP {
            set.insert(Signal(number))
        }
        return set
    }

    /// Blocks the set for this process, so that its signals wait in the kernel for a signalfd to read them.
    public func block() throws(SystemError) {
        var set = raw
        let result = sigprocmask(SIG_BLOCK, &set, nil)
        if result != 0 { throw SystemError("sigprocmask") }
    }
}

private let ignoreSignal: @convention(c) (Int32) -> Void = { _ in }

/// Gives every signal in the set a handler that does nothing. The kernel drops a signal that PID 1 has no
/// handler for; with one installed, a signal that arrives is always kept (blocked) and read from the signalfd.
public func installNoOpHandlers(for set: SignalSet) throws(SystemError) {
    for signal in set.members {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = ignoreSignal
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        if sigaction(signal.rawValue, &action, nil) != 0 { throw SystemError("sigaction(\(signal))") }
    }
}

/// Sends a signal to a process (positive pid) or a process group (negative pid).
/// Returns false when the target no longer exists.
@discardableResult
public func sendSignal(_ signal: Signal, to pid: pid_t) throws(SystemError) -> Bool {
    if systemCall("kill", { kill(pid, signal.rawValue) }) == 0 { return true }
    if errno == ESRCH { return false }
    throw SystemError("kill(\(pid), \(signal))")
}

/// kill(-1, signal): every process this one may signal, itself excepted. Returns the failure, if any; ESRCH
/// (nobody left) is not one.
public func sendSignalToAll(_ signal: Signal) -> SystemError? {
    if systemCall("kill", { kill(-1, signal.rawValue) }) == 0 || errno == ESRCH { return nil }
    return SystemError("kill(-1, \(signal))")
}
