import Foundation
import Glibc
import Testing

@Suite("Logs and child output")
struct SupervisionOutputTests {
    @Test("--tag-child-output carries 100,000 lines per stream, whole, in order, each tagged")
    func taggedOutput() throws {
        let run = try runProgram(["--tag-child-output", "--", "python3", child("write_lines.py"), "100000", "7"],
                                 pidNamespace: true, timeout: .seconds(120))
        #expect(run.process.terminationStatus == 0)
        try checkStream(run.stdout, label: "out", tag: "webui")
        let childLines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("[mai-entrypoint]") }
        try checkStream(childLines.joined(separator: "\n"), label: "err", tag: "webui")
    }

    func checkStream(_ text: String, label: String, tag: String) throws {
        let lines = text.split(separator: "\n")
        #expect(lines.count == 100_001)
        for (index, line) in lines.dropLast().enumerated() {
            let expected = "[\(tag)] \(label) \(index) "
            if !line.hasPrefix(expected) {
                Issue.record("line \(index): \(line.prefix(80))")
                return
            }
        }
        #expect(lines.last == "[\(tag)] \(label) last-without-newline")
        #expect(text.hasSuffix("last-without-newline\n") || text.hasSuffix("last-without-newline"))
    }

    @Test("a custom tag, from the option or the environment")
    func customTag() throws {
        let option = try runProgram(["--tag-child-output=api", "--", "sh", "-c", "echo one; echo two >&2"])
        #expect(option.stdout == "[api] one\n")
        #expect(option.stderr.contains("[api] two\n"))
        let variable = try runProgram(["--", "sh", "-c", "echo one"], environment: ["MAI_ENTRYPOINT_TAG_CHILD_OUTPUT": "true"])
        #expect(variable.stdout == "[webui] one\n")
    }

    @Test("without --tag-child-output the child writes straight to the inherited descriptors")
    func untagged() throws {
        let run = try runProgram(["--", "sh", "-c", "printf 'raw'"])
        #expect(run.stdout == "raw")
    }

    @Test("text log lines carry time, tag and level, and the events of a run")
    func textLog() throws {
        let run = try runProgram(["--", "sh", "-c", "exit 0"], pidNamespace: true)
        let lines = run.stderr.split(separator: "\n").map(String.init)
        let pattern = #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[mai-entrypoint\] (debug|info|warning|error): .+/#
        #expect(!lines.isEmpty)
        for line in lines { #expect(line.wholeMatch(of: pattern) != nil, "\(line)") }
        #expect(lines.contains { $0.contains("info: starting") && $0.contains("mode=pid1") && $0.contains("pid=1 ") })
        #expect(lines.contains { $0.contains("child started") && $0.contains("pid=2") })
        #expect(lines.contains { $0.contains("child exited") && $0.contains("uptime=") })
        #expect(lines.last?.contains("exiting: exited on its own") == true)
    }

    @Test("--log-format json writes one object per line with ts, level, tag, msg and the event's fields")
    func jsonLog() throws {
        let run = try runProgram(["--log-format", "json", "--log-tag", "mai-test", "--", "sh", "-c", "exit 3"])
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count >= 4)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["tag"] as? String == "mai-test")
            for key in ["ts", "level", "msg"] { #expect(object?[key] != nil, "\(key) in \(line)") }
        }
        let last = try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any]
        #expect(last?["exit_status"] as? Int == 3)
    }

    @Test("--log-level warning keeps only warnings and errors")
    func logLevel() throws {
        let quiet = try runProgram(["--log-level", "warning", "--", "true"])
        #expect(quiet.stderr.isEmpty)
        let failing = try runProgram(["--log-level", "warning", "--", "no-such-command-xyz"])
        #expect(failing.stderr.contains("error: cannot run no-such-command-xyz"))
        #expect(!failing.stderr.contains("info:"))
    }

    @Test("an idle supervisor sleeps in the kernel: no wake-up while its child sleeps")
    func idleWithoutWakeups() throws {
        let program = try ProgramProcess(["--", "sleep", "30"], pidNamespace: true)
        let supervisor = try program.supervisorPID()
        try program.waitForLog("child started")
        usleep(200_000)
        let before = try contextSwitches(supervisor)
        usleep(1_500_000)
        let after = try contextSwitches(supervisor)
        #expect(after == before, "context switches went from \(before) to \(after)")
        try program.signal(SIGTERM)
        #expect(try program.wait() == 143)
    }
}
