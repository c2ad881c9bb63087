import Foundation
import Glibc
import Testing

/// Drain before stop (issue 13, point 3): the program as PID 1 of its own PID namespace with a /run of its own
/// (a tmpfs in its own mount namespace, as a container has), a real web server as the child, and
/// `mai-entrypoint healthcheck` run inside those namespaces with nsenter, as `docker exec` runs it.
@Suite("Drain before stop")
struct SupervisionDrainTests {
    /// The program as PID 1 with a fresh tmpfs on /run; `setup` runs first (shell), as root of that namespace.
    static func start(_ arguments: [String], environment: [String: String] = [:], setup: String = "true") throws -> ProgramProcess {
        let script = "mount -t tmpfs -o mode=0755 mai-run /run && \(setup) && exec \"$0\" \"$@\""
        return try ProgramProcess(["--pid", "--fork", "--mount-proc", "--kill-child=SIGKILL", "sh", "-c", script, programPath] + arguments,
                                  environment: environment, executable: "/usr/bin/unshare")
    }

    /// `mai-entrypoint healthcheck --url URL` inside the program's PID and mount namespaces: (status, stdout).
    static func healthcheck(_ program: ProgramProcess, url: String) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
        process.arguments = ["--target", String(try program.supervisorPID()), "--pid", "--mount", "--",
                             programPath, "healthcheck", "--url", url, "--timeout", "5"]
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MAI_ENTRYPOINT_") }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    /// The state file as the program's mount namespace sees it (through /proc/PID/root).
    static func stateFile(_ program: ProgramProcess) throws -> String? {
        try? String(contentsOfFile: "/proc/\(try program.supervisorPID())/root/run/mai-entrypoint/state", encoding: .utf8)
    }

    /// The drain is 6 s so that the healthcheck run during it finishes before the forward even on a loaded
    /// machine; that it failed during the drain is shown by the order (the server had no signal yet), not by
    /// a time (it was "< 1.5 s after the TERM", which a busy 2-core machine broke).
    @Test("--drain 6: a TERM fails healthcheck at once while the child serves on; the child gets TERM about 6 s later")
    func drainThenForward() throws {
        let server = try StandInWebServer()
        let program = try Self.start(["--drain", "6", "--"] + server.command(), environment: server.environment)
        try program.waitForLog("Web server ready after")
        let before = try Self.healthcheck(program, url: server.url)
        #expect(before.0 == 0, "\(before.1)")
        #expect(try Self.stateFile(program)?.hasPrefix("state=running\npid=1\n") == true)

        let stopped = ContinuousClock.now
        try program.signal(SIGTERM)
        try program.waitForLog("draining for 6.0 s before forwarding TERM")
        let during = try Self.healthcheck(program, url: server.url)
        #expect(during.0 == 1, "\(during.1)")
        #expect(during.1.hasPrefix("unhealthy: stopping: mai-entrypoint (pid 1)"), "\(during.1)")
        // The server itself is untouched: it still answers, and has had no signal.
        #expect(healthAnswers(port: server.port))
        #expect(server.received.isEmpty)
        #expect(try Self.stateFile(program)?.hasPrefix("state=stopping\npid=1\n") == true)

        try waitFor("the child's TERM", timeout: .seconds(30)) { server.received.isEmpty ? nil : true }
        let forwardedAfter = ContinuousClock.now - stopped
        #expect(forwardedAfter >= .milliseconds(5950), "forwarded \(forwardedAfter) after the TERM")
        #expect(try program.wait() == 143)
        #expect(server.received == ["TERM ready=True"])
        #expect(program.stderr.contains("drain over"))
        #expect(program.stderr.contains("stop requested; forwarding"))
        #expect(program.stderr.contains("exiting: clean stop"))
    }

    @Test("TERM the moment healthcheck turns healthy: drained, never taken for a start-up stop (3 starts)")
    func termWhenHealthcheckTurnsHealthy() throws {
        for _ in 0..<3 {
            let server = try StandInWebServer()
            let program = try Self.start(["--drain", "2", "--"] + server.command(delay: 1.0), environment: server.environment)
            try server.waitUntilStarted()
            try waitFor("healthcheck to say healthy", timeout: .seconds(30)) { try Self.healthcheck(program, url: server.url).0 == 0 ? true : nil }
            try program.signal(SIGTERM)
            #expect(try program.wait() == 143)
            #expect(program.stderr.contains("draining for 2.0 s before forwarding TERM"), "\(program.stderr)")
            #expect(!program.stderr.contains("stop requested while the web server is starting"), "\(program.stderr)")
        }
    }

    @Test("a second TERM during the drain is forwarded at once")
    func secondTermCutsTheDrainShort() throws {
        let server = try StandInWebServer()
        let program = try Self.start(["--drain", "60", "--clean-stop-status", "--"] + server.command(), environment: server.environment)
        try program.waitForLog("Web server ready after")
        let stopped = ContinuousClock.now
        try program.signal(SIGTERM)
        try program.waitForLog("draining for 60.0 s before forwarding TERM")
        #expect(server.received.isEmpty)
        try program.signal(SIGTERM)
        #expect(try program.wait(timeout: .seconds(20)) == 0)
        #expect(ContinuousClock.now - stopped < .seconds(15))
        #expect(server.received == ["TERM ready=True"])
        #expect(program.stderr.contains("second stop signal during the drain; forwarding at once"))
        #expect(program.stderr.contains("exiting: clean stop"))
    }

    @Test("the stop deadline counts from the forward, not from the TERM")
    func deadlineFromTheForward() throws {
        let directory = try makeTemporaryDirectory()
        let recorder = SignalRecorder(in: directory)
        // No readiness probing: the child is not a web server, and counts as ready at once.
        let program = try Self.start(["--drain", "2", "--stop-timeout", "1"] + recorder.command(["--ignore-term"]))
        _ = try recorder.waitUntilListening()
        let stopped = ContinuousClock.now
        try program.signal(SIGTERM)
        try recorder.waitForCount(1, timeout: .seconds(15))
        let forwarded = ContinuousClock.now
        #expect(forwarded - stopped >= .milliseconds(1950))
        #expect(try program.wait(timeout: .seconds(20)) == 137)
        let killed = ContinuousClock.now
        #expect(killed - forwarded >= .milliseconds(900), "killed \(killed - forwarded) after the forward")
        #expect(killed - stopped >= .milliseconds(2900), "killed \(killed - stopped) after the TERM")
        #expect(recorder.received == ["TERM"])
        #expect(program.stderr.contains("stop_timeout=1.0s"))
        #expect(program.stderr.contains("exiting: killed at the stop deadline"))
    }

    @Test("the child exiting during the drain ends it: its own status, nothing forwarded")
    func childExitsDuringTheDrain() throws {
        let directory = try makeTemporaryDirectory()
        let go = directory.appendingPathComponent("go").path
        let program = try Self.start(["--drain", "60", "--", "sh", "-c", "while [ ! -e \(go) ]; do sleep 0.01; done; exit 4"])
        try program.waitForLog("child started")
        let stopped = ContinuousClock.now
        try program.signal(SIGTERM)
        try program.waitForLog("draining for 60.0 s")
        _ = FileManager.default.createFile(atPath: go, contents: nil)
        #expect(try program.wait(timeout: .seconds(20)) == 4)
        #expect(ContinuousClock.now - stopped < .seconds(15))
        #expect(program.stderr.contains("the child exited during the drain; no stop signal to forward"))
        #expect(program.stderr.contains("exiting: exited on its own"))
        #expect(!program.stderr.contains("stop requested; forwarding"))
    }

    @Test("INT is not drained: forwarded at once, as today")
    func interruptIsNotDrained() throws {
        let server = try StandInWebServer()
        let program = try Self.start(["--drain", "60", "--"] + server.command(), environment: server.environment)
        try program.waitForLog("Web server ready after")
        try program.signal(SIGINT)
        #expect(try program.wait(timeout: .seconds(20)) == 130)
        #expect(server.received == ["INT ready=True"])
        #expect(!program.stderr.contains("draining"))
    }

    @Test("a TERM while the server starts is held, not drained; healthcheck fails from the TERM on")
    func termWhileStarting() throws {
        let directory = try makeTemporaryDirectory()
        let record = directory.appendingPathComponent("signals").path
        let port = try freeLocalPort()
        let url = "http://127.0.0.1:\(port)/health"
        let program = try Self.start(["--drain", "60", "--", "python3", child("web_server.py"), String(port), "3", record],
                                     environment: ["MAI_ENTRYPOINT_HEALTH_URL": url])
        try waitFor("the server's handlers", timeout: .seconds(15)) { FileManager.default.fileExists(atPath: record + ".started") ? true : nil }
        // Not seen ready yet: unhealthy before any TERM, whatever the server answers.
        let early = try Self.healthcheck(program, url: url)
        #expect(early.0 == 1 && early.1.hasPrefix("unhealthy: starting: mai-entrypoint (pid 1) has not seen the server ready yet"), "\(early.1)")
        let stopped = ContinuousClock.now
        try program.signal(SIGTERM)
        try program.waitForLog("stop requested while the web server is starting")
        let during = try Self.healthcheck(program, url: url)
        #expect(during.0 == 1 && during.1.hasPrefix("unhealthy: stopping"), "\(during.1)")
        #expect(try program.wait(timeout: .seconds(30)) == 143)
        // Released when the server became ready (3 s), not 60 s later.
        #expect(ContinuousClock.now - stopped < .seconds(20))
        #expect(readLines(record) == ["TERM ready=True"])
        #expect(!program.stderr.contains("draining for"))
    }

    @Test("a state file from a previous life of the container never fails a healthy server")
    func staleStateFile() throws {
        let server = try StandInWebServer()
        let stale = "mkdir -p /run/mai-entrypoint && printf 'state=stopping\\npid=1\\nstart=1\\n' > /run/mai-entrypoint/state"
        let program = try Self.start(["--drain", "2", "--"] + server.command(), environment: server.environment, setup: stale)
        try program.waitForLog("Web server ready after")
        let check = try Self.healthcheck(program, url: server.url)
        #expect(check.0 == 0, "\(check.1)")
        #expect(try Self.stateFile(program)?.hasPrefix("state=running\npid=1\n") == true)
        try program.signal(SIGTERM)
        #expect(try program.wait(timeout: .seconds(20)) == 143)
    }

    @Test("a read-only /run holding a stale file: a warning, the drain still delays the TERM, healthcheck asks the server")
    func readOnlyRun() throws {
        let server = try StandInWebServer()
        let stale = "mkdir -p /run/mai-entrypoint && printf 'state=stopping\\npid=1\\nstart=1\\n' > /run/mai-entrypoint/state && mount -o remount,ro /run"
        let program = try Self.start(["--drain", "2", "--"] + server.command(), environment: server.environment, setup: stale)
        try program.waitForLog("Web server ready after")
        #expect(program.stderr.contains("cannot write the state file; healthcheck will not fail during the drain"))
        #expect(program.stderr.contains("path=/run/mai-entrypoint/state"))
        let check = try Self.healthcheck(program, url: server.url)
        #expect(check.0 == 0, "\(check.1)")
        let stopped = ContinuousClock.now
        try program.signal(SIGTERM)
        try program.waitForLog("draining for 2.0 s")
        #expect(try Self.healthcheck(program, url: server.url).0 == 0)
        #expect(try program.wait(timeout: .seconds(20)) == 143)
        #expect(ContinuousClock.now - stopped >= .milliseconds(1950))
        #expect(program.stderr.components(separatedBy: "cannot write the state file").count == 2)
    }

    @Test("--drain 0 (the default) is today's stop: TERM forwarded at once, no state file")
    func drainZero() throws {
        for options in [[], ["--drain", "0"]] {
            let server = try StandInWebServer()
            let program = try Self.start(options + ["--"] + server.command(), environment: server.environment)
            try program.waitForLog("Web server ready after")
            #expect(try Self.stateFile(program) == nil)
            #expect(!FileManager.default.fileExists(atPath: "/proc/\(try program.supervisorPID())/root/run/mai-entrypoint"))
            try program.signal(SIGTERM)
            #expect(try program.wait() == 143)
            // At once: no drain line, and the TERM reached the server (a time bound here broke under load).
            #expect(server.received == ["TERM ready=True"])
            #expect(!program.stderr.contains("draining"))
        }
    }

    @Test("MAI_ENTRYPOINT_DRAIN sets it too; a bad value is a usage error naming the variable")
    func fromTheEnvironment() throws {
        let server = try StandInWebServer()
        var environment = server.environment
        environment["MAI_ENTRYPOINT_DRAIN"] = "1.5"
        let program = try Self.start(["--"] + server.command(), environment: environment)
        try program.waitForLog("Web server ready after")
        try program.signal(SIGTERM)
        try program.waitForLog("draining for 1.5 s before forwarding TERM")
        #expect(try program.wait() == 143)

        let bad = try runProgram(["--", "true"], environment: ["MAI_ENTRYPOINT_DRAIN": "soon"])
        #expect(bad.process.terminationStatus == 2)
        #expect(bad.stderr.contains("MAI_ENTRYPOINT_DRAIN"), "\(bad.stderr)")
        let badOption = try runProgram(["--drain", "-1", "--", "true"])
        #expect(badOption.process.terminationStatus == 2)
        #expect(badOption.stderr.contains("--drain"), "\(badOption.stderr)")
    }
}
