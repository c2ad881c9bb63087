import Foundation
import Glibc
import Testing

@Suite("Reaping and orphans")
struct SupervisionReapingTests {
    @Test("orphaned grandchildren are reaped as PID 1 and as a subreaper", arguments: [true, false])
    func reapsZombies(pidNamespace: Bool) throws {
        let run = try runProgram(["--log-level", "debug", "--", "python3", child("zombies.py"), "8"], pidNamespace: pidNamespace)
        #expect(run.stdout == "zombies 0\n")
        #expect(run.process.terminationStatus == 0)
        #expect(run.stderr.contains(pidNamespace ? "mode=pid1" : "mode=subreaper"))
        #expect(run.stderr.components(separatedBy: "reaped orphan").count - 1 >= 8)
    }

    @Test("what the child leaves behind gets TERM after it exits", arguments: [true, false])
    func orphansGetTerm(pidNamespace: Bool) throws {
        let directory = try makeTemporaryDirectory()
        let orphan = SignalRecorder(in: directory)
        let script = "\(orphan.command().joined(separator: " ")) & while [ ! -e \(orphan.path).ready ]; do sleep 0.05; done; exit 4"
        let run = try runProgram(["--", "sh", "-c", script], pidNamespace: pidNamespace)
        #expect(run.process.terminationStatus == 4)
        #expect(orphan.received == ["TERM"])
        #expect(run.stderr.contains("child left processes behind; sending TERM count=1"))
        #expect(run.stderr.contains("orphans cleaned up"))
        #expect(!run.stderr.contains("sending KILL"))
    }

    @Test("an orphan that ignores TERM is killed after --orphan-grace", arguments: [true, false])
    func stubbornOrphanKilled(pidNamespace: Bool) throws {
        let directory = try makeTemporaryDirectory()
        let orphan = SignalRecorder(in: directory)
        let command = orphan.command(["--ignore-term"]).joined(separator: " ")
        let script = "\(command) & while [ ! -e \(orphan.path).ready ]; do sleep 0.05; done; exit 0"
        let start = ContinuousClock.now
        let run = try runProgram(["--orphan-grace", "0.5", "--", "sh", "-c", script], pidNamespace: pidNamespace)
        #expect(run.process.terminationStatus == 0)
        #expect(ContinuousClock.now - start >= .milliseconds(500))
        #expect(orphan.received == ["TERM"])
        #expect(run.stderr.contains("orphans still running; sending KILL count=1"))
        if !pidNamespace {
            // (In a namespace the pid is the namespace's own, and the namespace ends with its PID 1.)
            let (pid, _) = try orphan.waitUntilListening()
            #expect(kill(pid, 0) != 0, "the orphan must be gone when mai-entrypoint exits")
        }
    }

    @Test("the child runs in its own process group with only stdin, stdout and stderr open")
    func descriptorsAndGroup() throws {
        let (status, text) = try runUnderShell("exec 7</etc/hostname 8>/dev/null; exec \(programPath) -- python3 \(child("list_fds.py"))")
        #expect(status == 0)
        #expect(text.contains("fds 0 1 2\n"))
        let ids = text.split(separator: "\n").first { $0.hasPrefix("pid ") }?.split(separator: " ") ?? []
        #expect(ids.count == 4 && ids[1] == ids[3], "pid equals pgid: \(text)")
    }

    @Test("the child starts with an empty signal mask and default dispositions, whatever the supervisor inherited")
    func signalStateReset() throws {
        // The shell makes HUP and USR1 ignored, and exec keeps that for mai-entrypoint; the child must not inherit it.
        let (status, text) = try runUnderShell("trap '' HUP USR1; exec \(programPath) -- grep -E '^Sig(Blk|Ign)' /proc/self/status")
        #expect(status == 0)
        #expect(text == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n")
    }
}

/// Runs a shell script that sets up what mai-entrypoint inherits (descriptors, ignored signals), then execs it;
/// returns the exit status and what the child wrote to stdout.
func runUnderShell(_ script: String) throws -> (status: Int32, stdout: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", script]
    var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MAI_ENTRYPOINT_") }
    environment["MAI_ENTRYPOINT_HEALTH_URL"] = "off"
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
}
