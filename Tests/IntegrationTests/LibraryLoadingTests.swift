import Foundation
import Glibc
import Testing

/// A run loads a database library when it opens that database, not at every start (issue 23): linked, libsqlite3
/// was loaded and relocated by every run, `--version` and a plain supervised command included.
@Suite("Database libraries loaded on use")
struct LibraryLoadingTests {
    /// /proc/PID/maps, read to its end (its size is 0 to stat, which whole-file readers may trust).
    private func mappedFiles(_ program: ProgramProcess) throws -> String {
        let file = try #require(FileHandle(forReadingAtPath: "/proc/\(try program.supervisorPID())/maps"))
        defer { try? file.close() }
        let text = String(decoding: try file.readToEnd() ?? Data(), as: UTF8.self)
        try #require(text.contains("[stack]"), "not the whole table: \(text)")
        return text
    }

    @Test("a run that opens no database maps neither libsqlite3 nor libpq; one that tracks usage on SQLite maps libsqlite3")
    func loadedOnUse() throws {
        let directory = try makeTemporaryDirectory().path
        let untracked = ["DATA_DIR": directory, "OPENROUTER_EXTERNAL_USER": "", "ORGANIZATION_NAME": "", "MAI_ENTRYPOINT_HEALTH_URL": "off"]
        let plain = try ProgramProcess(["--", "sleep", "60"], environment: untracked, workingDirectory: directory)
        try plain.waitForLog("child started")
        let maps = try mappedFiles(plain)
        #expect(!maps.contains("libsqlite3") && !maps.contains("libpq"), "\(maps)")
        try plain.signal(SIGTERM)
        #expect(try plain.wait() == 143)

        let database = try SQLiteFixture()
        let tracked = try ProgramProcess(["--", "sleep", "60"], environment: tracking(database.url, ["MAI_ENTRYPOINT_HEALTH_URL": "off"]),
                                         workingDirectory: database.directory)
        try tracked.waitForLog("child started")
        #expect(tracked.stderr.contains("Usage tracking initialized for Acme"), "\(tracked.stderr)")
        #expect(try mappedFiles(tracked).contains("libsqlite3"))
        try tracked.signal(SIGTERM)
        #expect(try tracked.wait() == 143)
    }

    /// What an image without the library says: one line naming it and its package, and the server still starts
    /// (usage tracking is optional unless --init-required). The library is hidden by an empty file mounted over
    /// it in a mount namespace of the run's own.
    @Test("without libsqlite3: one line naming the library and its package; the server starts")
    func missingLibrary() throws {
        let library = "/lib/x86_64-linux-gnu/libsqlite3.so.0"
        try #require(FileManager.default.fileExists(atPath: library))
        let database = try SQLiteFixture()
        let script = "mount --bind /dev/null \"$(readlink -f \(library))\" && exec \"$@\""
        let program = try ProgramProcess(["--mount", "--propagation", "private", "sh", "-c", script, "sh", programPath,
                                          "--", "sh", "-c", "echo server-started"],
                                         environment: tracking(database.url, ["MAI_ENTRYPOINT_HEALTH_URL": "off"]),
                                         workingDirectory: database.directory, executable: "/usr/bin/unshare")
        #expect(try program.wait(timeout: .seconds(30)) == 0, "\(program.stderr)")
        #expect(program.stdout == "server-started\n")
        let lines = program.stderr.split(separator: "\n").filter { $0.contains("the SQLite library could not be loaded (install libsqlite3-0)") }
        #expect(lines.count == 1, "\(program.stderr)")
    }
}
