import Foundation
import Glibc
import Testing

/// Readiness follows the port the server really listens on, with the real uvicorn serving a tiny ASGI app:
/// without `--health-url`, `PORT` is only the first guess (issue 9, point 6).
@Suite("Readiness follows the real port")
struct SupervisionRealPortTests {
    /// `python3 -m uvicorn health_app:app` on 127.0.0.1 and a free port; nothing tells the supervisor that port.
    struct Uvicorn {
        let port: Int
        let directory: URL

        init() throws {
            port = try freeLocalPort()
            directory = try makeTemporaryDirectory()
        }

        func command(_ extra: [String] = [], host: String = "127.0.0.1") -> [String] {
            ["python3", "-m", "uvicorn", "health_app:app", "--app-dir", childrenDirectory, "--host", host,
             "--port", String(port)] + extra
        }

        /// No PORT and no health URL: the supervisor's first guess is 8080, not this server's port.
        func environment(delay: Double) -> [String: String] {
            ["MAI_ENTRYPOINT_HEALTH_URL": "", "PORT": "", "HEALTH_APP_DELAY": String(delay)]
        }
    }

    /// Not followed, the server would never be seen ready (the probe stays on 8080 until the 300 s ready
    /// timeout); followed, it is seen within 0.5 s on a quiet machine. 5 s tells the two apart on a loaded one,
    /// where 0.5 s broke; the latency itself is `scripts/bench`'s to report, not a test's.
    static let lagBound = Duration.seconds(5)

    /// Runs the supervised uvicorn, notes when /health first answers (polled here, every 10 ms) and when the
    /// supervisor's ready line appears, and stops it. Returns how long after /health answered the line came.
    func readinessLag(_ extra: [String], host: String = "127.0.0.1", delay: Double, pidNamespace: Bool = false,
                      checks: (ProgramProcess, Uvicorn) throws -> Void = { _, _ in }) throws -> Duration {
        try #require(uvicornInstalled, "uvicorn is missing: python3 -m pip install uvicorn (.ci/run installs it)")
        let server = try Uvicorn()
        let program = try ProgramProcess(["--"] + server.command(extra, host: host), environment: server.environment(delay: delay),
                                         pidNamespace: pidNamespace, workingDirectory: server.directory.path)
        defer {
            program.killTree()
            try? FileManager.default.removeItem(at: server.directory)
        }
        let answered = try waitFor("/health on port \(server.port) to answer", timeout: .seconds(30)) {
            healthAnswers(port: server.port, ipv6: host == "::") ? ContinuousClock.now : nil
        }
        let logged = try waitFor("the ready line in:\n\(program.stderr)", timeout: .seconds(30)) {
            program.stderr.contains("Web server ready after") ? ContinuousClock.now : nil
        }
        try checks(program, server)
        try program.signal(SIGTERM)
        try program.wait(timeout: .seconds(20))
        #expect(program.stderr.components(separatedBy: "Web server ready after").count == 2)
        let probed = host == "::" ? "[::1]" : "127.0.0.1"
        #expect(program.stderr.contains("Web server ready after") && program.stderr.contains("url=http://\(probed):\(server.port)/health"))
        return max(.zero, logged - answered)
    }

    @Test("uvicorn --port N with no PORT: ready once /health answers, the switch said once")
    func plainPort() throws {
        let lag = try readinessLag([], delay: 1) { program, server in
            let switches = program.stderr.components(separatedBy: "readiness probe follows the server to port \(server.port)")
            #expect(switches.count == 2, "\(program.stderr)")
        }
        #expect(lag < Self.lagBound, "lag \(lag)")
    }

    @Test("uvicorn --reload: the reloader holds the socket, the app runs in its child")
    func reload() throws {
        // Watching the empty working folder (the reload itself is not what is tested).
        let lag = try readinessLag(["--reload", "--reload-dir", "."], delay: 1)
        #expect(lag < Self.lagBound, "lag \(lag)")
    }

    @Test("uvicorn --workers 2")
    func workers() throws {
        let lag = try readinessLag(["--workers", "2"], delay: 1)
        #expect(lag < Self.lagBound, "lag \(lag)")
    }

    @Test("as PID 1 of a PID namespace, with the server listening on every address; once ready, no more wake-ups")
    func processOneAnyAddress() throws {
        let lag = try readinessLag([], host: "0.0.0.0", delay: 0.5, pidNamespace: true) { program, _ in
            // No scan and no probe once ready: the supervisor sleeps in poll() with no timeout.
            let supervisor = try program.supervisorPID()
            usleep(200_000)
            let before = try contextSwitches(supervisor)
            usleep(1_000_000)
            #expect(try contextSwitches(supervisor) == before)
        }
        #expect(lag < Self.lagBound, "lag \(lag)")
    }

    @Test("uvicorn --host :: (IPv6 any; a single uvicorn process makes it IPv6-only)")
    func ipv6Any() throws {
        let lag = try readinessLag([], host: "::", delay: 0.5)
        #expect(lag < Self.lagBound, "lag \(lag)")
    }

    @Test("healthcheck in the container (PID 1 is mai-entrypoint) probes where the run found the server")
    func healthcheckFollowsToo() throws {
        let server = try Uvicorn()
        let program = try ProgramProcess(["--"] + server.command(host: "0.0.0.0"), environment: server.environment(delay: 0),
                                         pidNamespace: true, workingDirectory: server.directory.path)
        defer {
            program.killTree()
            try? FileManager.default.removeItem(at: server.directory)
        }
        try program.waitForLog("Web server ready after")
        // As `docker exec CONTAINER mai-entrypoint healthcheck` runs: in the PID namespace, same environment.
        let check = try runTool("/usr/bin/nsenter", ["--target", String(try program.supervisorPID()), "--pid", "--mount",
                                                     programPath, "healthcheck", "--timeout", "2"],
                                environment: ["MAI_ENTRYPOINT_HEALTH_URL": "", "PORT": ""], directory: server.directory.path)
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output == "healthy: http://127.0.0.1:\(server.port)/health\n")
        // Outside the container, PID 1 is another program: the default URL stays PORT's, 8080.
        let outside = try runTool(programPath, ["healthcheck", "--timeout", "2"], environment: ["MAI_ENTRYPOINT_HEALTH_URL": "", "PORT": "1"],
                                  directory: server.directory.path)
        #expect(outside.status == 1 && outside.output.hasPrefix("unhealthy: http://127.0.0.1:1/health"), "\(outside.output)")
        try program.signal(SIGTERM)
        try program.wait(timeout: .seconds(20))
    }

    /// Runs a program to its end with these variables added to the test's own; its status and stdout+stderr.
    func runTool(_ path: String, _ arguments: [String], environment: [String: String], directory: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Foundation.Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test("an explicit health URL is never overridden by the port the server listens on")
    func explicitURLKept() throws {
        let server = try Uvicorn()
        let elsewhere = try freeLocalPort()
        var environment = server.environment(delay: 0)
        environment["MAI_ENTRYPOINT_HEALTH_URL"] = "http://127.0.0.1:\(elsewhere)/health"
        let program = try ProgramProcess(["--ready-timeout", "2", "--"] + server.command(), environment: environment,
                                         workingDirectory: server.directory.path)
        defer {
            program.killTree()
            try? FileManager.default.removeItem(at: server.directory)
        }
        try waitFor("/health to answer", timeout: .seconds(30)) { healthAnswers(port: server.port) ? true : nil }
        try program.waitForLog("Web server not ready after 2.0 s")
        #expect(!program.stderr.contains("follows the server"))
        try program.signal(SIGTERM)
        try program.wait(timeout: .seconds(20))
    }
}

extension ProgramProcess {
    /// When a test fails half-way, the supervisor is still running: KILL it and every process under it (the
    /// ProgramProcess's own clean-up kills the supervisor alone, and uvicorn would outlive it as an orphan).
    /// Nothing is done once the program has exited: its pids may already belong to someone else.
    func killTree() {
        guard process.isRunning else { return }
        var tree = [process.processIdentifier]
        var index = 0
        while index < tree.count {
            tree += childrenOfAnyThread(tree[index])
            index += 1
        }
        for pid in tree { kill(pid, SIGSTOP) }
        for pid in tree { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }
}

/// The children of every thread of a process, from /proc/PID/task/TID/children.
private func childrenOfAnyThread(_ pid: pid_t) -> [pid_t] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    return tasks.flatMap { task in
        ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "")
            .split(separator: " ").compactMap { pid_t($0) }
    }
}

/// The python3 on PATH, the one that runs the server, has uvicorn.
let uvicornInstalled: Bool = (try? command("/usr/bin/env", ["python3", "-c", "import uvicorn"])) != nil

/// One GET /health on 127.0.0.1:PORT (or ::1): true when it answers 200 with `"status": true`.
func healthAnswers(port: Int, ipv6: Bool = false, timeout: Duration = .seconds(2)) -> Bool {
    let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var wait = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
    let connected: Int32
    if ipv6 {
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = UInt16(port).bigEndian
        inet_pton(AF_INET6, "::1", &address.sin6_addr)
        connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
    } else {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
    guard connected == 0 else { return false }
    let request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    guard send(fd, request, request.utf8.count, 0) == request.utf8.count else { return false }
    var answer = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = recv(fd, &buffer, buffer.count, 0)
        if count <= 0 { break }
        answer += buffer[0..<count]
    }
    let text = String(decoding: answer, as: UTF8.self)
    return text.hasPrefix("HTTP/1.") && text.contains(" 200 ") && text.contains("\"status\": true")
}
