import Foundation
import Glibc
import Testing

/// Readiness probing and start-up protection, with a stand-in web server that starts listening late.
@Suite("Readiness and start-up protection")
struct SupervisionReadinessTests {
    @Test("the supervisor logs once when the server is ready, and healthcheck agrees")
    func readyOnce() throws {
        let server = try StandInWebServer()
        let program = try ProgramProcess(["--"] + server.command(delay: 0.5), environment: server.environment)
        try program.waitForLog("Web server ready after")
        let healthy = try runProgram(["healthcheck", "--url", "http://127.0.0.1:\(server.port)/health"])
        #expect(healthy.process.terminationStatus == 0)
        let missing = try runProgram(["healthcheck", "--url", "http://127.0.0.1:\(server.port)/missing"])
        #expect(missing.process.terminationStatus == 1)
        #expect(missing.stdout.contains("HTTP status 404"))
        let fromPort = try runProgram(["healthcheck"], environment: ["PORT": String(server.port)])
        #expect(fromPort.process.terminationStatus == 0)
        try program.signal(SIGTERM)
        #expect(try program.wait() == 143)
        #expect(program.stderr.components(separatedBy: "Web server ready after").count == 2)
        #expect(server.received == ["TERM ready=True"])
    }

    @Test("a server answering /health in Transfer-Encoding: chunked is seen ready")
    func readyWhenChunked() throws {
        let server = try StandInWebServer()
        let program = try ProgramProcess(["--"] + server.command(), environment: server.environment.merging(["WEB_SERVER_CHUNKED": "1"]) { $1 })
        try program.waitForLog("Web server ready after", timeout: .seconds(30))
        try program.signal(SIGTERM)
        #expect(try program.wait() == 143)
        #expect(server.received == ["TERM ready=True"])
    }

    @Test("healthcheck fails within its timeout when nothing answers")
    func healthcheckRefused() throws {
        let port = try freeLocalPort()
        let run = try runProgram(["healthcheck", "--url", "http://127.0.0.1:\(port)/health", "--timeout", "2"])
        #expect(run.process.terminationStatus == 1)
        #expect(run.stdout.contains("connection refused"))
    }

    @Test("a TERM while the server starts is held until it is ready, then forwarded")
    func holdsStopUntilReady() throws {
        let server = try StandInWebServer()
        let program = try ProgramProcess(["--"] + server.command(delay: 2), environment: server.environment)
        try program.waitForLog("child started")
        try server.waitUntilStarted()
        try program.signal(SIGTERM)
        try program.waitForLog("stop requested while the web server is starting; waiting up to 20.0 s")
        #expect(try program.wait(timeout: .seconds(30)) == 143)
        #expect(server.received == ["TERM ready=True"])
        let log = program.stderr
        let ready = try #require(log.range(of: "Web server ready after"))
        let forwarded = try #require(log.range(of: "stop requested; forwarding"))
        #expect(ready.lowerBound < forwarded.lowerBound)
    }

    @Test("the held stop is forwarded when --startup-grace passes")
    func graceExpires() throws {
        let server = try StandInWebServer()
        let program = try ProgramProcess(["--startup-grace", "1", "--"] + server.command(delay: 60), environment: server.environment)
        try program.waitForLog("child started")
        try server.waitUntilStarted()
        let start = ContinuousClock.now
        try program.signal(SIGTERM)
        #expect(try program.wait(timeout: .seconds(30)) == 143)
        #expect(ContinuousClock.now - start >= .milliseconds(900))
        #expect(server.received == ["TERM ready=False"])
        #expect(program.stderr.contains("the web server is still not ready; forwarding the stop"))
    }

    @Test("a second TERM while one is held forwards at once")
    func secondSignalForwards() throws {
        let server = try StandInWebServer()
        let program = try ProgramProcess(["--"] + server.command(delay: 60), environment: server.environment)
        try program.waitForLog("child started")
        try server.waitUntilStarted()
        try program.signal(SIGTERM)
        try program.waitForLog("stop requested while the web server is starting")
        try program.signal(SIGTERM)
        #expect(try program.wait(timeout: .seconds(10)) == 143)
        #expect(server.received == ["TERM ready=False"])
    }

    @Test("--startup-grace 0 forwards a stop at once; other signals are never held")
    func graceOff() throws {
        let server = try StandInWebServer()
        let program = try ProgramProcess(["--startup-grace", "0", "--"] + server.command(delay: 60), environment: server.environment)
        try program.waitForLog("child started")
        try server.waitUntilStarted()
        try program.signal(SIGHUP)
        try waitFor("HUP recorded", timeout: .seconds(10)) { server.received.isEmpty ? nil : true }
        try program.signal(SIGTERM)
        #expect(try program.wait(timeout: .seconds(10)) == 143)
        #expect(server.received == ["HUP ready=False", "TERM ready=False"])
        #expect(!program.stderr.contains("while the web server is starting"))
    }

    @Test("a server that never becomes ready gets a warning at --ready-timeout, and probing stops")
    func readyTimeout() throws {
        let server = try StandInWebServer()
        let program = try ProgramProcess(["--ready-timeout", "1", "--"] + server.command(delay: 60), environment: server.environment)
        try program.waitForLog("Web server not ready after 1.0 s; no longer probing")
        // Not ready any more means not starting any more: a stop now goes straight through.
        try program.signal(SIGTERM)
        #expect(try program.wait(timeout: .seconds(10)) == 143)
        #expect(!program.stderr.contains("while the web server is starting"))
    }

    @Test("once ready, the supervisor never wakes up again while the server idles")
    func noWakeupsAfterReady() throws {
        let server = try StandInWebServer()
        let program = try ProgramProcess(["--"] + server.command(delay: 0.2), environment: server.environment, pidNamespace: true)
        try program.waitForLog("Web server ready after")
        let supervisor = try program.supervisorPID()
        usleep(200_000)
        let before = try contextSwitches(supervisor)
        usleep(1_500_000)
        #expect(try contextSwitches(supervisor) == before)
        try program.signal(SIGTERM)
        #expect(try program.wait() == 143)
    }
}

func contextSwitches(_ pid: pid_t) throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    return status.split(separator: "\n").filter { $0.contains("ctxt_switches") }
        .compactMap { Int($0.split(separator: "\t").last ?? "") }.reduce(0, +)
}
