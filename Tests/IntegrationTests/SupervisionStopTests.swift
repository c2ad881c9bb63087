import Foundation
import Glibc
import Testing

@Suite("Stopping and exit status")
struct SupervisionStopTests {
    @Test("the exit status is the child's, or 128+N when a signal killed it")
    func exitStatus() throws {
        let exited = try runProgram(["--", "sh", "-c", "exit 7"], pidNamespace: true)
        #expect(exited.process.terminationStatus == 7)
        #expect(exited.stderr.contains("exiting: exited on its own"))

        let killed = try runProgram(["--", "sh", "-c", "kill -USR1 $$"], pidNamespace: true)
        #expect(killed.process.terminationStatus == 138)
        #expect(killed.stderr.contains("status=\"signal USR1\""))
    }

    @Test("TERM is forwarded; a child that dies of it gives 143, or 0 with --clean-stop-status")
    func cleanStop() throws {
        for (options, expected) in [([String](), Int32(143)), (["--clean-stop-status"], 0)] {
            let directory = try makeTemporaryDirectory()
            let recorder = SignalRecorder(in: directory)
            let program = try ProgramProcess(options + recorder.command(), pidNamespace: true)
            _ = try recorder.waitUntilListening()
            try program.signal(SIGTERM)
            #expect(try program.wait() == expected)
            #expect(recorder.received == ["TERM"])
            #expect(program.stderr.contains("exiting: clean stop"))
        }
    }

    @Test("INT stops like TERM: 130, or 0 with --clean-stop-status; a child's own exit code is kept")
    func interruptAndOwnCode() throws {
        let directory = try makeTemporaryDirectory()
        let recorder = SignalRecorder(in: directory)
        let program = try ProgramProcess(recorder.command(), pidNamespace: true)
        _ = try recorder.waitUntilListening()
        try program.signal(SIGINT)
        #expect(try program.wait() == 130)

        let coded = SignalRecorder(in: directory, name: "coded")
        let second = try ProgramProcess(["--clean-stop-status"] + coded.command(["--exit-code", "3"]), pidNamespace: true)
        _ = try coded.waitUntilListening()
        try second.signal(SIGTERM)
        #expect(try second.wait() == 3)
    }

    @Test("a child that ignores TERM is killed at the stop deadline")
    func stopDeadline() throws {
        let directory = try makeTemporaryDirectory()
        let recorder = SignalRecorder(in: directory)
        let program = try ProgramProcess(["--stop-timeout", "1"] + recorder.command(["--ignore-term"]), pidNamespace: true)
        _ = try recorder.waitUntilListening()
        let start = ContinuousClock.now
        try program.signal(SIGTERM)
        #expect(try program.wait(timeout: .seconds(20)) == 137)
        #expect(ContinuousClock.now - start >= .milliseconds(900))
        #expect(recorder.received == ["TERM"])
        #expect(program.stderr.contains("stop deadline reached"))
        #expect(program.stderr.contains("exiting: killed at the stop deadline"))
    }

    @Test("the stop timeout comes from MAI_ENTRYPOINT_STOP_TIMEOUT too")
    func stopTimeoutFromEnvironment() throws {
        let directory = try makeTemporaryDirectory()
        let recorder = SignalRecorder(in: directory)
        let program = try ProgramProcess(recorder.command(["--ignore-term"]),
                                         environment: ["MAI_ENTRYPOINT_STOP_TIMEOUT": "0.5"], pidNamespace: true)
        _ = try recorder.waitUntilListening()
        try program.signal(SIGTERM)
        #expect(try program.wait(timeout: .seconds(20)) == 137)
        #expect(program.stderr.contains("stop_timeout=0.5s"))
    }

    @Test("a second TERM during a stop is forwarded too; the deadline still runs from the first")
    func repeatedStopIsForwarded() throws {
        let directory = try makeTemporaryDirectory()
        let recorder = SignalRecorder(in: directory)
        let program = try ProgramProcess(["--stop-timeout", "1"] + recorder.command(["--ignore-term"]), pidNamespace: true)
        _ = try recorder.waitUntilListening()
        let start = ContinuousClock.now
        try program.signal(SIGTERM)
        try recorder.waitForCount(1)
        try program.signal(SIGTERM)
        try recorder.waitForCount(2)
        #expect(try program.wait(timeout: .seconds(20)) == 137)
        #expect(ContinuousClock.now - start >= .milliseconds(900))
        #expect(recorder.received == ["TERM", "TERM"])
        #expect(program.stderr.contains("exiting: killed at the stop deadline"))
    }

    @Test("INT that the child survives, then TERM: the child gets both, in order, and exits as it chooses")
    func interruptThenTerminate() throws {
        let directory = try makeTemporaryDirectory()
        let recorder = SignalRecorder(in: directory)
        let program = try ProgramProcess(recorder.command(["--ignore-int", "--exit-code", "0"]), pidNamespace: true)
        _ = try recorder.waitUntilListening()
        try program.signal(SIGINT)
        try recorder.waitForCount(1)
        try program.signal(SIGTERM)
        #expect(try program.wait() == 0)
        #expect(recorder.received == ["INT", "TERM"])
    }

    @Test("a child that exits on its own in the same wake-up as a TERM: reaped first, reported as its own exit")
    func exitAndStopTogether() throws {
        let directory = try makeTemporaryDirectory()
        let go = directory.appendingPathComponent("go").path
        let program = try ProgramProcess(["--", "sh", "-c", "while [ ! -e \(go) ]; do sleep 0.01; done; exit 4"], pidNamespace: true)
        try program.waitForLog("child started")
        let supervisor = try program.supervisorPID()
        let child = try waitFor("the child's host pid", timeout: .seconds(5)) { childPIDs(of: supervisor).first }
        // Stopped, the supervisor cannot see the child exit before the TERM: both wait for it together.
        kill(supervisor, SIGSTOP)
        defer { kill(supervisor, SIGCONT) }
        _ = FileManager.default.createFile(atPath: go, contents: nil)
        try waitFor("the child to become a zombie", timeout: .seconds(5)) { processState(child) == "Z" ? true : nil }
        kill(supervisor, SIGTERM)
        kill(supervisor, SIGCONT)
        #expect(try program.wait() == 4)
        #expect(program.stderr.contains("exiting: exited on its own"))
        #expect(!program.stderr.contains("stop requested"))
    }
}

/// The one-letter state of a process from /proc/PID/stat (R, S, Z...).
func processState(_ pid: pid_t) -> String? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return nil }
    return text[text.index(after: close)...].split(separator: " ").first.map(String.init)
}
