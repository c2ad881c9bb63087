import Glibc
import MaiSupervision
import MaiSystem
import Testing

@Suite struct SignalPolicyTests {
    let other: pid_t = 4242

    func action(_ number: Int32, terminal: Bool = false, sender: pid_t = 4242, code: Int32 = 0) -> SignalAction {
        SignalPolicy(terminalAttached: terminal, ownPID: 1).action(for: ReceivedSignal(signal: Signal(number), senderPID: sender, code: code))
    }

    @Test func childSignalReaps() { #expect(action(SIGCHLD) == .reap) }

    @Test func terminateAndInterruptStop() {
        #expect(action(SIGTERM) == .stop)
        #expect(action(SIGINT) == .stop)
    }

    @Test func ordinarySignalsAreForwarded() {
        for number in [SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGALRM, SIGCONT, SIGPIPE, Signal.realtimeMinimum, Signal.realtimeMaximum] {
            #expect(action(number) == .forward, "\(Signal(number))")
        }
    }

    @Test func faultsAreNeverForwarded() {
        for number in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGABRT] { #expect(action(number) == .ignore) }
    }

    @Test func jobControlDependsOnTheTerminal() {
        for number in [SIGTSTP, SIGTTIN, SIGTTOU] {
            #expect(action(number, terminal: true) == .ignore)
            #expect(action(number, terminal: false) == .forward)
        }
    }

    @Test func signalsRaisedOnItselfAreNotForwarded() {
        #expect(action(SIGPIPE, sender: 1, code: 0) == .ignore)
        #expect(action(SIGPIPE, sender: other, code: 0) == .forward)
    }

    @Test func signalNames() {
        #expect(Signal(SIGTERM).description == "TERM")
        #expect(Signal(Signal.realtimeMinimum).description == "RTMIN")
        #expect(Signal(Signal.realtimeMinimum + 3).description == "RTMIN+3")
        #expect(Signal(Signal.realtimeMaximum).description == "RTMAX")
    }

    @Test func catchableSetLeavesOutKillStopAndReservedSignals() {
        let set = SignalSet.allCatchable()
        #expect(!set.contains(.kill) && !set.contains(.stop))
        #expect(set.contains(.terminate) && set.contains(Signal(Signal.realtimeMaximum)))
        #expect(!set.members.contains(Signal(32)) && !set.members.contains(Signal(33)))
    }
}
