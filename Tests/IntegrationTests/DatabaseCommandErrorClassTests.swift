import Foundation
import Glibc
import MaiTestSupport
import Testing

@Suite("Database: error classes decided before retrying", .enabled(if: ClusterForTests.enabled, "MAI_TEST_SKIP_POSTGRES=1"))
struct DatabaseCommandErrorClassTests {
    /// Issue 10: each of these was retried for the whole --init-timeout.
    @Test("a location libpq cannot parse, or that cannot work, fails in under 1 s with one line", arguments: [
        "postgresql://webui:pw@[::1", "postgresql://webui:a%00b@127.0.0.1:5432/db", "postgresql://webui:pw@/db",
        "postgresql://webui:pw@127.0.0.1:5432/db?host=/nonexistent",
    ])
    func typoFailsAtOnce(_ url: String) throws {
        let directory = try makeTemporaryDirectory().path
        let started = ContinuousClock.now
        let run = try runProgram(["init-db", "--init-timeout", "30"], environment: tracking(url), workingDirectory: directory,
                                 timeout: .seconds(40))
        // Not retried (a retry is logged), and well before the 30 s init timeout: 1 s broke on a loaded machine.
        #expect(!run.stderr.contains("retrying in"), "\(run.stderr)")
        #expect(ContinuousClock.now - started < .seconds(10), "\(run.stderr)")
        #expect(run.process.terminationStatus == 1)
        #expect(run.stderrLines.filter { $0.contains("Usage tracking initialization failed") }.count == 1, "\(run.stderr)")
        #expect(!run.stderr.contains("retrying"))
    }

    /// DATABASE_* parts read as Open WebUI's SQLAlchemy reads the URL it builds from them (issue 20, point 4).
    @Test("DATABASE_HOST typos fail at once as Open WebUI would read them: a port inside the host, a bare IPv6 address",
          arguments: [("db:5432", "the port \"5432:5432\" is not a port number"), ("::1", "no host given")])
    func partsTypoFailsAtOnce(_ host: String, _ reason: String) throws {
        let environment = tracking("", ["DATABASE_TYPE": "postgresql", "DATABASE_USER": "webui", "DATABASE_PASSWORD": "pw",
                                        "DATABASE_HOST": host, "DATABASE_PORT": "5432", "DATABASE_NAME": "db"])
        let run = try runProgram(["init-db", "--init-timeout", "30"], environment: environment, timeout: .seconds(40))
        #expect(!run.stderr.contains("retrying in"), "\(run.stderr)")
        #expect(run.process.terminationStatus == 1)
        #expect(run.stderrLines.filter { $0.contains("Usage tracking initialization failed") && $0.contains(reason) }.count == 1, "\(run.stderr)")
    }

    @Test("DATABASE_HOST=[::1] is the host ::1, as Open WebUI's URL reads it",
          .enabled(if: ClusterForTests.enabled, "MAI_TEST_SKIP_POSTGRES=1"))
    func bracketedIPv6Host() throws {
        let url = try ClusterForTests.freshDatabase()
        let components = try #require(URLComponents(string: url))
        let environment = tracking("", ["DATABASE_TYPE": "postgresql", "DATABASE_USER": try #require(components.user),
                                        "DATABASE_PASSWORD": try #require(components.password), "DATABASE_HOST": "[::1]",
                                        "DATABASE_PORT": String(try #require(components.port)), "DATABASE_NAME": String(components.path.dropFirst())])
        let run = try runProgram(["init-db", "--init-timeout", "5"], environment: environment, timeout: .seconds(40))
        // The test server listens on 127.0.0.1 only: ::1 is refused, a connection error, not a refused host name.
        #expect(!run.stderr.contains("is not a host name or an address"), "\(run.stderr)")
        #expect(run.stderr.contains("::1"), "\(run.stderr)")
    }

    /// Docker and Kubernetes service names often resolve only seconds after the container starts. The name is
    /// added to /etc/hosts 3 s into the run, inside a private mount namespace where /etc/hosts is a copy.
    @Test("a host name that starts resolving 3 s late is retried, then the database is initialized")
    func lateHostName() throws {
        let url = try ClusterForTests.freshDatabase().replacingOccurrences(of: "@127.0.0.1:", with: "@mai-late-db.test:")
        let directory = try makeTemporaryDirectory().path
        let hosts = directory + "/hosts"
        try FileManager.default.copyItem(atPath: "/etc/hosts", toPath: hosts)
        let program = try ShellStartedProgram(
            "mount --bind \(hosts) /etc/hosts && exec \(programPath) init-db --init-timeout 20 --init-backoff 0.2",
            unshare: ["--mount"], environment: tracking(url), directory: directory)
        let started = ContinuousClock.now
        try program.waitForLog("could not translate host name")
        let wait = .seconds(3) - (ContinuousClock.now - started)
        if wait > .zero { usleep(useconds_t(wait.components.seconds * 1_000_000 + wait.components.attoseconds / 1_000_000_000_000)) }
        let handle = try #require(FileHandle(forWritingAtPath: hosts))
        handle.seekToEndOfFile()
        handle.write("\n127.0.0.1 mai-late-db.test\n".data(using: .utf8) ?? Data())
        handle.closeFile()
        let status = try program.wait(timeout: .seconds(25))
        #expect(status == 0, "\(program.stderr)")
        #expect(ContinuousClock.now - started > .seconds(3))
        #expect(program.stderr.contains("Usage tracking initialized for Acme (organization created; schema v3)"))
        #expect(program.stderr.contains("warning: Usage tracking database not ready (attempt 1)"))
        #expect(try String(contentsOfFile: "/etc/hosts", encoding: .utf8).contains("mai-late-db.test") == false)
    }
}

/// `mai-entrypoint` started by `sh -c` under `unshare`, with its output in files.
final class ShellStartedProgram {
    let process = Process()
    let stderrPath: String
    let stdoutPath: String

    init(_ script: String, unshare: [String], environment: [String: String], directory: String) throws {
        stderrPath = directory + "/stderr"
        stdoutPath = directory + "/stdout"
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = unshare + ["--kill-child=SIGKILL", "/bin/sh", "-c", script]
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MAI_ENTRYPOINT_") }
        env["MAI_ENTRYPOINT_HEALTH_URL"] = "off"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    func waitForLog(_ text: String, timeout: Duration = .seconds(15)) throws {
        try waitFor("log line \"\(text)\" in:\n\(stderr)", timeout: timeout) { stderr.contains(text) ? true : nil }
    }

    func wait(timeout: Duration) throws -> Int32 {
        do {
            try waitFor("the program to exit", timeout: timeout) { process.isRunning ? nil : true }
        } catch {
            kill(process.processIdentifier, SIGKILL)
            throw error
        }
        return process.terminationStatus
    }
}
