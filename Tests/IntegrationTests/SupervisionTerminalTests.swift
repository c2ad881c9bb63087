import Foundation
import Glibc
import Testing

/// mai-entrypoint on a terminal, as `docker run -it IMAGE bash` runs it: Children/with_pty.py plays docker.
@Suite("Terminal")
struct SupervisionTerminalTests {
    /// Starts mai-entrypoint (PID 1 of a namespace) on a new terminal; `during` gets its host pid.
    func runOnTerminal(_ arguments: [String], typing: String? = nil, during: (pid_t) throws -> Void = { _ in }) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        let typed = typing.map { ["--type", $0] } ?? []
        process.arguments = [child("with_pty.py")] + typed + ["unshare", "--pid", "--fork", "--mount-proc", programPath] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let supervisor = try waitFor("mai-entrypoint under the terminal", timeout: .seconds(15)) { () -> pid_t? in
            childrenOf(process.processIdentifier).first.flatMap { childrenOf($0).first }
        }
        try during(supervisor)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text
    }

    @Test("the child's process group gets the terminal's foreground")
    func foreground() throws {
        let text = try runOnTerminal(["--", "python3", child("list_fds.py")])
        #expect(text.contains("foreground True"))
        #expect(text.contains("exit 0"))
    }

    @Test("a shell reads what is typed on the terminal and exits with its own status")
    func interactiveShell() throws {
        // In the background, the read would stop the shell (SIGTTIN) and the run would time out.
        let text = try runOnTerminal(["--", "sh", "-c", "read line; echo got:$line; exit 5"], typing: "hello")
        #expect(text.contains("got:hello"))
        #expect(text.contains("exit 5"))
    }

    @Test("job-control signals are not forwarded while a terminal is attached")
    func jobControlNotForwarded() throws {
        let directory = try makeTemporaryDirectory()
        let recorder = SignalRecorder(in: directory)
        let text = try runOnTerminal(recorder.command()) { supervisor in
            _ = try recorder.waitUntilListening()
            for name in ["TSTP", "TTIN", "TTOU", "USR1"] { kill(supervisor, signalNumber(name)) }
            try recorder.waitForCount(1)
            kill(supervisor, SIGTERM)
        }
        #expect(recorder.received == ["USR1", "TERM"])
        #expect(text.contains("exit 143"))
    }

    @Test("without a terminal, job-control signals are forwarded like any other")
    func jobControlForwardedWithoutTerminal() throws {
        let directory = try makeTemporaryDirectory()
        let recorder = SignalRecorder(in: directory)
        let program = try ProgramProcess(recorder.command(), pidNamespace: true)
        _ = try recorder.waitUntilListening()
        for (index, name) in ["TSTP", "TTIN", "TTOU"].enumerated() {
            try program.signal(signalNumber(name))
            try recorder.waitForCount(index + 1)
        }
        try program.signal(SIGTERM)
        #expect(try program.wait() == 143)
        #expect(recorder.received == ["TSTP", "TTIN", "TTOU", "TERM"])
    }
}

func childrenOf(_ pid: pid_t) -> [pid_t] {
    let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
    return text.split(separator: " ").compactMap { pid_t($0) }
}
