import Foundation
import Glibc
import Testing

/// Issue 19, point 5: `CMD ["mai-entrypoint", "--", ...]` under the image's own `ENTRYPOINT ["mai-entrypoint",
/// "--"]` knows it is nested: it runs the command directly instead of waiting on its parent's lock.
@Suite("A nested run")
struct NestedRunTests {
    @Test("under a live supervisor (PID 1): one line, the command exec'd directly, no lock wait, no key, no database work")
    func nestedRunExecs() throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.head)
        let run = try ProgramProcess(["--", programPath, "--gate-timeout", "2", "--", "sh", "-c", "echo inner"],
                                     environment: data.environment(), pidNamespace: true, workingDirectory: data.root)
        #expect(try run.wait() == 0, "\(run.stderr)")
        #expect(run.stdout == "inner\n", "\(run.stdout)")
        let lines = run.stderrLines.filter { $0.contains("already supervised by mai-entrypoint") }
        #expect(lines.count == 1, "\(run.stderr)")
        #expect(lines.first?.contains("info: already supervised by mai-entrypoint (pid 1): running sh directly") == true, "\(run.stderr)")
        #expect(!run.stderr.contains("in use by another mai-entrypoint"), "\(run.stderr)")
        // The inner run did nothing of a run's own: one start line, one child started (the outer run's).
        #expect(run.stderrLines.filter { $0.contains("info: starting ") }.count == 1, "\(run.stderr)")
        #expect(run.stderrLines.filter { $0.contains("child started") }.count == 1, "\(run.stderr)")
    }

    @Test("a marker naming a process that is not a live ancestor (a reused pid, a copied variable) is ignored")
    func staleMarker() throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.head)
        let start = try #require(try String(contentsOfFile: "/proc/1/stat", encoding: .utf8).split(separator: ")").last?
            .split(separator: " ")[19])
        for marker in ["1:\(start)1", "\(getpid()):1", "garbage"] {
            let run = try data.run(["--", "true"], ["MAI_ENTRYPOINT_SUPERVISOR": marker])
            #expect(run.process.terminationStatus == 0, "\(run.stderr)")
            #expect(!run.stderr.contains("already supervised"), "\(marker): \(run.stderr)")
            #expect(run.stderr.contains("child started"), "\(run.stderr)")
        }
    }
}
