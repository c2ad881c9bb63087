import Foundation
import Glibc
import Testing

/// Issue 13, point 2: one run per SQLite DATA_DIR. Every run holds an flock on DATA_DIR/.mai-entrypoint.lock while
/// it supervises; a second one waits up to --gate-timeout, then exits 1 naming the holder.
@Suite("The DATA_DIR lock")
struct DataDirectoryLockTests {
    @Test("a second run waits, says once for whom, then exits 1 naming the holder's host and pid; its server never starts")
    func secondRunFails() throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.head)
        let first = try data.start(["--", "sleep", "60"])
        try first.waitForLog("child started")
        let holder = "pid \(first.process.processIdentifier) on host \(hostName())"
        #expect(try String(contentsOfFile: data.dataDirectory + "/.mai-entrypoint.lock", encoding: .utf8)
                == "\(hostName()) \(first.process.processIdentifier)\n")

        let started = ContinuousClock.now
        let second = try data.run(["--gate-timeout", "1.5", "--", "touch", data.root + "/second"])
        let took = ContinuousClock.now - started
        #expect(second.process.terminationStatus == 1)
        #expect(took >= .milliseconds(1500) && took < .seconds(10), "\(took)")
        let waits = second.stderrLines.filter { $0.contains("is in use by another mai-entrypoint") && $0.contains("warning") }
        #expect(waits == second.stderrLines.filter { $0.contains("warning: DATA_DIR \(data.dataDirectory) is in use by another mai-entrypoint, \(holder): waiting up to 1.5 s for it to stop") })
        #expect(waits.count == 1, "\(second.stderr)")
        #expect(second.stderrLines.last?.contains("error: not starting the server: DATA_DIR \(data.dataDirectory) is still in use by another mai-entrypoint, \(holder), after 1.5 s (--gate-timeout)") == true,
                "\(second.stderr)")
        #expect(!FileManager.default.fileExists(atPath: data.root + "/second"))
        try first.signal(SIGTERM)
        #expect(try first.wait() == 143)
    }

    @Test("the overlap of a restart: the second run starts as soon as the first has stopped (MAI_ENTRYPOINT_GATE_TIMEOUT)")
    func secondRunFollows() throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.head)
        let first = try data.start(["--", "sleep", "60"])
        try first.waitForLog("child started")
        let second = try data.start(["--", "touch", data.root + "/second"], ["MAI_ENTRYPOINT_GATE_TIMEOUT": "30"])
        try second.waitForLog("is in use by another mai-entrypoint")
        #expect(!FileManager.default.fileExists(atPath: data.root + "/second"))
        try first.signal(SIGTERM)
        #expect(try first.wait() == 143)
        #expect(try second.wait() == 0, "\(second.stderr)")
        #expect(second.stderr.contains("info: DATA_DIR \(data.dataDirectory) is free: lock taken"))
        #expect(FileManager.default.fileExists(atPath: data.root + "/second"))
    }

    @Test("TERM and INT during the wait end it at once with 128+N, the server never started", arguments: [SIGTERM, SIGINT])
    func stoppedWhileWaiting(signal: Int32) throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.head)
        let first = try data.start(["--", "sleep", "60"])
        try first.waitForLog("child started")
        let second = try data.start(["--", "touch", data.root + "/second"])
        try second.waitForLog("is in use by another mai-entrypoint")
        let sent = ContinuousClock.now
        try second.signal(signal)
        #expect(try second.wait(timeout: .seconds(30)) == 128 + signal)
        // The gate timeout is 120 s: 10 s tells "at once" from "at the timeout" on a loaded machine (it was 2 s).
        #expect(ContinuousClock.now - sent < .seconds(10))
        #expect(second.stderr.contains("not starting the server: stopped by \(signal == SIGTERM ? "TERM" : "INT") while waiting for DATA_DIR \(data.dataDirectory)"))
        #expect(!FileManager.default.fileExists(atPath: data.root + "/second"))
        try first.signal(SIGTERM)
        #expect(try first.wait() == 143)
    }

    @Test("the lock never reaches the server: a server left running by a killed supervisor does not keep the next run out")
    func notInherited() throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.head)
        let listing = try data.run(["--", "python3", child("list_fds.py")])
        #expect(listing.stdout.hasPrefix("fds 0 1 2\n"), "\(listing.stdout)")

        let first = try data.start(["--", "sleep", "60"])
        try first.waitForLog("child started")
        let line = try #require(first.stderrLines.first { $0.contains("child started") })
        let childPID = try #require(line.firstMatch(of: #/pid=(\d+)/#).flatMap { pid_t($0.1) })
        defer { kill(childPID, SIGKILL) }
        kill(first.process.processIdentifier, SIGKILL)
        _ = try first.wait()
        #expect(kill(childPID, 0) == 0)  // the orphaned server lives on

        let next = try data.run(["--gate-timeout", "0", "--", "true"])
        #expect(next.process.terminationStatus == 0, "\(next.stderr)")
        #expect(!next.stderr.contains("in use"))
    }

    @Test("a DATA_DIR that does not exist yet is not created for the lock (the supervision tests run without one)")
    func noDataDirectory() throws {
        let root = try makeTemporaryDirectory().path
        let run = try runProgram(["--", "true"], environment: ["DATA_DIR": root + "/data", "OPENROUTER_EXTERNAL_USER": ""],
                                 workingDirectory: root)
        #expect(run.process.terminationStatus == 0, "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/data"))
    }
}
