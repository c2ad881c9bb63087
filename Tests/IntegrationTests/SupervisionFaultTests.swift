import Foundation
import Glibc
import Testing

/// Once the child runs, no failed system call ends PID 1: it is logged once, with errno, and the loop goes
/// on until the child has ended. The failures come from the fault-injection seam of the test build's
/// system-call wrappers (MAI_ENTRYPOINT_TEST_FAULTS), not from a mock of the loop.
@Suite("Failed system calls")
struct SupervisionFaultTests {
    func faults(_ spec: String) -> [String: String] { ["MAI_ENTRYPOINT_TEST_FAULTS": spec] }

    func failureLines(_ stderr: String, _ reason: String) -> [Substring] {
        stderr.split(separator: "\n").filter { $0.contains("system call failed") && $0.contains(reason) }
    }

    @Test("kill fails with EPERM every time: logged once, and the child's own status is kept")
    func killRefused() throws {
        let directory = try makeTemporaryDirectory()
        let go = directory.appendingPathComponent("go").path
        let program = try ProgramProcess(["--stop-timeout", "0.3", "--", "sh", "-c", "while [ ! -e \(go) ]; do sleep 0.02; done; exit 5"],
                                         environment: faults("kill=EPERM"), pidNamespace: true)
        try program.waitForLog("child started")
        try program.signal(SIGTERM)
        try program.signal(SIGUSR1)
        try program.waitForLog("stop deadline reached")
        _ = FileManager.default.createFile(atPath: go, contents: nil)
        #expect(try program.wait() == 5)
        let lines = failureLines(program.stderr, "Operation not permitted")
        #expect(lines.count == 1, "\(program.stderr)")
        #expect(lines.first?.contains("errno=1") == true)
        #expect(program.stderr.contains("child exited"))
    }

    @Test("a relayed read fails with EIO once: logged, and every line still arrives")
    func relayReadError() throws {
        let run = try runProgram(["--tag-child-output", "--", "sh", "-c", "echo one; echo two; exit 3"],
                                 environment: faults("read=EIO*1"), pidNamespace: true)
        #expect(run.process.terminationStatus == 3)
        #expect(run.stdout == "[webui] one\n[webui] two\n")
        #expect(failureLines(run.stderr, "Input/output error").count == 1, "\(run.stderr)")
    }

    @Test("waitpid and poll fail for a while: the child is still reaped and its status kept")
    func reapAndPollErrors() throws {
        for spec in ["waitpid=EINVAL*2", "poll=ENOMEM*5"] {
            let run = try runProgram(["--", "sh", "-c", "sleep 0.2; exit 6"], environment: faults(spec), pidNamespace: true)
            #expect(run.process.terminationStatus == 6, "\(spec): \(run.stderr)")
            #expect(failureLines(run.stderr, "errno=").count == 1, "\(spec): \(run.stderr)")
        }
    }

    @Test("reading the signalfd fails once: TERM is still forwarded")
    func signalReadError() throws {
        let directory = try makeTemporaryDirectory()
        let recorder = SignalRecorder(in: directory)
        let program = try ProgramProcess(recorder.command(), environment: faults("read(signalfd)=EIO*1"), pidNamespace: true)
        _ = try recorder.waitUntilListening()
        try program.signal(SIGUSR1)
        try program.waitForLog("system call failed")
        try program.signal(SIGTERM)
        #expect(try program.wait() == 143)
        #expect(recorder.received.contains("TERM"))
    }

    @Test("EAGAIN storms on the relay and on the signalfd: nothing is lost, nothing ends early")
    func eagainStorms() throws {
        let directory = try makeTemporaryDirectory()
        let recorder = SignalRecorder(in: directory)
        let program = try ProgramProcess(["--tag-child-output", "--"] + recorder.command(),
                                         environment: faults("read=EAGAIN*20000,read(signalfd)=EAGAIN*20000"), pidNamespace: true)
        _ = try recorder.waitUntilListening()
        try program.signal(SIGUSR2)
        try recorder.waitForCount(1)
        try program.signal(SIGTERM)
        #expect(try program.wait() == 143)
        #expect(recorder.received == ["USR2", "TERM"])
    }
}
