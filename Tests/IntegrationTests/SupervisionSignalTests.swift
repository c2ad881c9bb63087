import Foundation
import Glibc
import Testing

/// Signals sent to mai-entrypoint as PID 1 of its own PID namespace, as `docker kill -s` would.
@Suite("Signal forwarding")
struct SupervisionSignalTests {
    static let forwarded = ["HUP", "QUIT", "USR1", "USR2", "WINCH", "ALRM", "CONT", "PIPE", "URG", "RTMIN", "RTMIN+3", "RTMAX"]

    @Test("every catchable signal is forwarded to the child, in the order it came")
    func forwardsEachSignal() throws {
        let directory = try makeTemporaryDirectory()
        let recorder = SignalRecorder(in: directory)
        let program = try ProgramProcess(recorder.command(), pidNamespace: true)
        _ = try recorder.waitUntilListening()
        for (index, name) in Self.forwarded.enumerated() {
            try program.signal(signalNumber(name))
            try recorder.waitForCount(index + 1)
        }
        try program.signal(SIGTERM)
        #expect(try program.wait() == 143)
        #expect(recorder.received == Self.forwarded + ["TERM"])
        #expect(program.stderr.contains("forwarded signal pid=2 signal=USR1"))
    }

    @Test("CHLD and the fault signals are not forwarded")
    func keepsOwnSignals() throws {
        let directory = try makeTemporaryDirectory()
        let recorder = SignalRecorder(in: directory)
        let program = try ProgramProcess(recorder.command(), pidNamespace: true)
        _ = try recorder.waitUntilListening()
        for name in ["CHLD", "SEGV", "BUS", "ILL", "FPE", "TRAP", "SYS", "ABRT"] {
            try program.signal(signalNumber(name))
        }
        try program.signal(SIGUSR1)
        try recorder.waitForCount(1)
        try program.signal(SIGTERM)
        #expect(try program.wait() == 143)
        #expect(recorder.received == ["USR1", "TERM"])
    }

    @Test("a burst of 500 queued real-time signals all reach the child")
    func burstOfSignals() throws {
        let directory = try makeTemporaryDirectory()
        let recorder = SignalRecorder(in: directory)
        let program = try ProgramProcess(recorder.command(), pidNamespace: true, logLevel: "warning")
        _ = try recorder.waitUntilListening()
        let supervisor = try program.supervisorPID()
        for _ in 0..<500 { kill(supervisor, signalNumber("RTMIN+1")) }
        try recorder.waitForCount(500, timeout: .seconds(30))
        // Standard signals merge while pending, so a burst of them only has to leave the loop working.
        for index in 0..<300 { kill(supervisor, index % 2 == 0 ? SIGUSR1 : SIGUSR2) }
        kill(supervisor, signalNumber("RTMIN+2"))
        try waitFor("marker after the burst", timeout: .seconds(15)) { recorder.received.contains("RTMIN+2") ? true : nil }
        try program.signal(SIGTERM)
        #expect(try program.wait() == 143)
        #expect(recorder.received.filter { $0 == "RTMIN+1" }.count == 500)
        #expect(recorder.received.last == "TERM")
    }

    @Test("--signal-group forwards to the child's whole process group; without it only the child gets it")
    func signalGroup() throws {
        for grouped in [false, true] {
            let directory = try makeTemporaryDirectory()
            let parent = SignalRecorder(in: directory, name: "parent")
            let member = SignalRecorder(in: directory, name: "member")
            // The shell runs the second recorder in its own (the child's) process group, then becomes the first.
            let script = "\(member.command().joined(separator: " ")) & exec \(parent.command().joined(separator: " "))"
            let options = grouped ? ["--signal-group"] : []
            let program = try ProgramProcess(options + ["--orphan-grace", "5", "--", "sh", "-c", script], pidNamespace: true)
            let (parentPID, _) = try parent.waitUntilListening()
            let (_, memberGroup) = try member.waitUntilListening()
            #expect(memberGroup == parentPID)
            try program.signal(SIGUSR1)
            try parent.waitForCount(1)
            if grouped { try member.waitForCount(1) }
            try program.signal(SIGTERM)
            #expect(try program.wait() == 143)
            #expect(parent.received == ["USR1", "TERM"])
            // Grouped: USR1 and TERM reach the member directly; alone: it only gets the orphans' TERM.
            #expect(member.received == (grouped ? ["USR1", "TERM"] : ["TERM"]))
        }
    }
}

extension ProgramProcess {
    convenience init(_ arguments: [String], pidNamespace: Bool, logLevel: String) throws {
        try self.init(arguments, environment: ["MAI_ENTRYPOINT_LOG_LEVEL": logLevel], pidNamespace: pidNamespace)
    }
}
