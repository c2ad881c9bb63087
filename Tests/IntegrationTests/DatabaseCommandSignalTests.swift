import Foundation
import Glibc
import MaiTestSupport
import Testing

@Suite("Database: stop requests, a late server, a wrong password", .serialized)
struct DatabaseCommandSignalTests {
    @Test("TERM during the backoff stops at once with 143 and starts no server; INT with 130",
          arguments: [(SIGTERM, Int32(143), "TERM"), (SIGINT, Int32(130), "INT")])
    func stopDuringBackoff(signal: Int32, status: Int32, name: String) throws {
        let directory = try makeTemporaryDirectory().path
        let marker = directory + "/server-started"
        let nobodyListens = "postgresql://mai:x@127.0.0.1:\(try freeLocalPort())/webui"
        let program = try ProgramProcess(["--init-backoff", "1", "--init-timeout", "60", "--", "sh", "-c", "touch \(marker)"],
                                         environment: tracking(nobodyListens), workingDirectory: directory)
        try program.waitForLog("retrying in")
        let sent = ContinuousClock.now
        try program.signal(signal)
        let exit = try program.wait(timeout: .seconds(30))
        // Not noticed, the retries would go on for the whole 60 s init timeout: 10 s tells the two apart on a
        // loaded machine (it was 1 s, which a busy 2-core machine broke).
        #expect(ContinuousClock.now - sent < .seconds(10))
        #expect(exit == status)
        #expect(program.stderr.contains("Usage tracking initialization stopped by \(name)"))
        #expect(program.stderr.contains("not starting the server: stopped by \(name) during usage-tracking initialization"))
        #expect(!program.stderr.contains("child started"))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("TERM while waiting for another process's SQLite lock stops at once too")
    func stopDuringLockWait() throws {
        let database = try SQLiteFixture()
        _ = try database.query("CREATE TABLE user (id TEXT)")
        let holder = try SQLiteLockHolder(path: database.path, seconds: 20)
        let program = try ProgramProcess(["init-db", "--init-timeout", "60"], environment: tracking(database.url),
                                         workingDirectory: database.directory)
        usleep(500_000)
        #expect(!program.stderr.contains("retrying in"), "the lock wait should still be in progress")
        let sent = ContinuousClock.now
        try program.signal(SIGTERM)
        #expect(try program.wait(timeout: .seconds(30)) == 143)
        // The lock is held for 20 s more: 10 s tells "at once" from "when the lock came free" (it was 1 s).
        #expect(ContinuousClock.now - sent < .seconds(10))
        #expect(program.stderr.contains("Usage tracking initialization stopped by TERM"))
        _ = holder
    }

    @Test("a PostgreSQL server that comes up 5 s after the program starts is waited for",
          .enabled(if: ClusterForTests.enabled, "MAI_TEST_SKIP_POSTGRES=1"))
    func serverComesUpLate() throws {
        _ = try ClusterForTests.serverURL()
        let cluster = try makeTemporaryDirectory().path + "/late"
        let exports = try command("/bin/bash", [ClusterForTests.script, "prepare", cluster])
        defer { _ = try? command("/bin/bash", [ClusterForTests.script, "stop", cluster]) }
        let url = try #require(exports.split(separator: "\n").compactMap { line -> String? in
            line.hasPrefix("export MAI_TEST_POSTGRES_URL=") ? String(line.dropFirst("export MAI_TEST_POSTGRES_URL=".count)) : nil
        }.first)
        let started = ContinuousClock.now
        let program = try ProgramProcess(["init-db", "--init-timeout", "40"], environment: tracking(url))
        usleep(5_000_000)
        #expect(program.process.isRunning, "gave up before the server came up: \(program.stderr)")
        try command("/bin/bash", [ClusterForTests.script, "launch", cluster])
        let exit = try program.wait(timeout: .seconds(40))
        #expect(exit == 0, "\(program.stderr)")
        #expect(ContinuousClock.now - started > .seconds(5))
        let retries = program.stderrLines.filter { $0.contains("Usage tracking database not ready (attempt ") }
        #expect(retries.count >= 3)
        #expect(retries.first?.contains("Connection refused") == true)
        #expect(retries.allSatisfy { $0.contains("; retrying in ") })
        #expect(program.stderr.contains("Usage tracking initialized for Acme (organization created; schema v3)"))
        #expect(try ClusterForTests.psql(url, "SELECT name FROM client_organizations") == ["Acme"])
    }

    @Test("a wrong password fails at once: one error line, exit 1, the password nowhere in the output",
          .enabled(if: ClusterForTests.enabled, "MAI_TEST_SKIP_POSTGRES=1"))
    func wrongPassword() throws {
        let server = try ClusterForTests.serverURL()
        let wrong = server.replacingOccurrences(of: #"://([^:]+):[^@]+@"#, with: "://$1:N0tThePassw0rd@", options: .regularExpression)
        let started = ContinuousClock.now
        let run = try runProgram(["init-db"], environment: tracking(wrong))
        // Not retried at all (a retry would be logged), rather than a bound that a loaded machine breaks.
        #expect(!run.stderr.contains("retrying in"), "\(run.stderr)")
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(run.process.terminationStatus == 1)
        let errors = run.stderrLines.filter { $0.contains(" error: ") }
        #expect(errors.count == 1)
        #expect(errors.first?.contains("password authentication failed for user \"mai_test\"") == true)
        #expect(!run.stderr.contains("N0tThePassw0rd"))
        #expect(!run.stderr.contains("retrying"))
    }
}

/// A server that accepts and never answers (a listener that never accepts: the kernel completes the handshake),
/// with `connect_timeout=0` in the URL, libpq's "wait forever" (issue 20, point 3).
@Suite("Database: a server that never answers", .serialized)
struct SilentDatabaseServerTests {
    static func url(_ listener: SilentListener) -> String {
        "postgresql://webui:pw@127.0.0.1:\(listener.port)/db?connect_timeout=0"
    }

    @Test("init-db and status end within the program's own bound, whatever connect_timeout says")
    func boundedWhateverConnectTimeout() throws {
        let listener = try SilentListener()
        let initDB = try runProgram(["init-db", "--init-timeout", "3"], environment: tracking(Self.url(listener)),
                                    timeout: .seconds(60))
        #expect(initDB.process.terminationStatus == 1, "\(initDB.stderr)")
        #expect(initDB.stderr.contains("timeout expired"), "\(initDB.stderr)")
        let status = try runProgram(["status"], environment: tracking(Self.url(listener)), timeout: .seconds(60))
        #expect(status.process.terminationStatus == 1, "\(status.stderr)")
    }

    @Test("TERM during the connect ends the run at once with 143, nothing started")
    func termEndsTheConnect() throws {
        let listener = try SilentListener()
        let directory = try makeTemporaryDirectory().path
        let marker = directory + "/started"
        let program = try ProgramProcess(["--init-timeout", "120", "--", "/bin/sh", "-c", "touch \(marker)"],
                                         environment: tracking(Self.url(listener)), pidNamespace: true)
        try listener.waitForConnection()
        try program.signal(SIGTERM)
        #expect(try program.wait(timeout: .seconds(20)) == 143, "\(program.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}
