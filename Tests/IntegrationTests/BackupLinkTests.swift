import Foundation
import Glibc
import Testing

/// Issue 19, point 1 (the rest): inside DATA_DIR/backups and for restore's own files, root follows no link the
/// server's user planted, and SQLite's open of the database is the file that was checked. The links are made
/// by the server's user (uid 65534, owner of DATA_DIR) and point into a folder only root may enter.
@Suite("No link followed in DATA_DIR/backups or by restore")
struct BackupLinkTests {
    static let user: uid_t = 65534

    /// A folder only root may enter, holding root's own SQLite database `secret.db` (0600).
    static func rootOnlyDatabase() throws -> (folder: String, file: String, bytes: Data) {
        let folder = try makeTemporaryDirectory().path
        #expect(chmod(folder, 0o700) == 0)
        let file = folder + "/secret.db"
        try sqlite(file, "CREATE TABLE secret (text TEXT); INSERT INTO secret VALUES ('root only')")
        #expect(chmod(file, 0o600) == 0)
        return (folder, file, try Data(contentsOf: URL(fileURLWithPath: file)))
    }

    /// DATA_DIR and everything in it handed to the server's user, as `--chown-data` leaves it.
    static func handOver(_ data: OpenWebUIDataFixture) throws {
        _ = try command("/bin/chown", ["-R", "\(user):\(user)", data.dataDirectory])
    }

    /// `ln -s TARGET LINK` run as the server's user.
    static func plantLink(_ link: String, to target: String) throws {
        _ = try command("/usr/bin/setpriv", ["--reuid", "\(user)", "--regid", "\(user)", "--clear-groups", "ln", "-s", target, link])
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == target)
    }

    static func linkLines(_ run: ProgramProcess, _ path: String) -> [String] {
        (run.stderrLines + run.stdout.split(separator: "\n").map(String.init))
            .filter { $0.contains("\(path) is a symbolic link (not followed)") }
    }

    @Test("a link named like a backup: the retention leaves it and its target, one line names it; `backups` and `restore NAME` refuse it in one line")
    func linkNamedLikeABackup() throws {
        let data = try BackupCommandsTests.withTwoBackups()
        let secret = try Self.rootOnlyDatabase()
        try Self.handOver(data)
        let link = data.backupDirectory + "/webui-20200101T000000.000Z-1a0000000001.db"
        try Self.plantLink(link, to: secret.file)

        try data.setRevision(OpenWebUIDataFixture.revisions[2])
        let run = try data.run(["--", "true"], ["MAI_ENTRYPOINT_KEEP_BACKUPS": "1"])
        #expect(run.process.terminationStatus == 0, "\(run.stderr)")
        #expect(Self.linkLines(run, link).count == 1, "\(run.stderr)")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == secret.file)
        #expect(try Data(contentsOf: URL(fileURLWithPath: secret.file)) == secret.bytes)

        let listed = try data.run(["backups"])
        #expect(listed.process.terminationStatus == 1, "\(listed.stdout)")
        #expect(Self.linkLines(listed, link).count == 1, "\(listed.stdout)\(listed.stderr)")
        #expect(!listed.stdout.contains("root only"))

        let named = try data.run(["restore", "webui-20200101T000000.000Z-1a0000000001.db"])
        #expect(named.process.terminationStatus == 1, "\(named.stderr)")
        #expect(named.stderrLines.filter { $0.contains("error:") } == named.stderrLines.filter { $0.contains("error: \(link) is a symbolic link (not followed)") },
                "\(named.stderr)")
        #expect(Self.linkLines(named, link).count == 1, "\(named.stderr)")
        #expect(try sqlite(data.databasePath, "SELECT version_num FROM alembic_version") == [OpenWebUIDataFixture.revisions[2]])
        #expect(try Data(contentsOf: URL(fileURLWithPath: secret.file)) == secret.bytes)
    }

    @Test("restore when the newest name is a link: refused in one line naming it; webui.db stays, the link's target is not read")
    func newestIsALink() throws {
        let data = try BackupCommandsTests.withTwoBackups()
        let secret = try Self.rootOnlyDatabase()
        try Self.handOver(data)
        let link = data.backupDirectory + "/webui-20990101T000000.000Z-6f0000000006.db"
        try Self.plantLink(link, to: secret.file)

        let run = try data.run(["restore"])
        #expect(run.process.terminationStatus == 1, "\(run.stderr)")
        #expect(Self.linkLines(run, link).count == 1, "\(run.stderr)")
        #expect(try sqlite(data.databasePath, "SELECT version_num FROM alembic_version") == [OpenWebUIDataFixture.head])
        #expect(try sqlite(data.databasePath, "SELECT name FROM sqlite_master WHERE name = 'secret'") == [])
        #expect(try FileManager.default.contentsOfDirectory(atPath: data.dataDirectory).filter { $0.contains("before-restore") }.isEmpty)
    }

    @Test("restore: a link already named like the copy it keeps aside (webui.db.before-restore-<time>, -wal): refused in one line naming it, nothing renamed",
          arguments: ["", "-wal"])
    func asideNameTaken(suffix: String) throws {
        let data = try BackupCommandsTests.withTwoBackups()
        let secret = try Self.rootOnlyDatabase()
        try Self.handOver(data)
        // The test build's clock (MAI_ENTRYPOINT_TEST_CLOCK, epoch seconds) names the copy kept aside.
        let link = data.databasePath + ".before-restore-20260102T030000.000Z" + suffix
        try Self.plantLink(link, to: secret.file)

        let run = try data.run(["restore"], ["MAI_ENTRYPOINT_TEST_CLOCK": "1767322800"])
        #expect(run.process.terminationStatus == 1, "\(run.stderr)")
        #expect(Self.linkLines(run, link).count == 1, "\(run.stderr)")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == secret.file)
        #expect(try Data(contentsOf: URL(fileURLWithPath: secret.file)) == secret.bytes)
        #expect(try sqlite(data.databasePath, "SELECT version_num FROM alembic_version") == [OpenWebUIDataFixture.head])
        #expect(try FileManager.default.contentsOfDirectory(atPath: data.dataDirectory).filter { $0.contains("restoring") }.isEmpty)
    }

    @Test("webui.db swapped for another file between its check and SQLite's open: the run stops in one line, the other file is neither copied nor written")
    func swappedBeforeOpen() throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.revisions[0])
        let secret = try Self.rootOnlyDatabase()
        let other = data.dataDirectory + "/other.db"
        _ = try command("/bin/cp", ["-p", secret.file, other])
        // At a revision behind the head: read through the swap, it would be copied into backups/.
        try sqlite(other, "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY); INSERT INTO alembic_version VALUES ('\(OpenWebUIDataFixture.revisions[0])')")
        let swapped = try Data(contentsOf: URL(fileURLWithPath: other))
        // The test build stops itself (SIGSTOP) at its first SQLite open of webui.db, after its own check.
        let program = try data.start(["--", "true"], ["MAI_ENTRYPOINT_TEST_STOP_AT": "sqlite-open:webui.db"])
        try waitFor("mai-entrypoint to stop before SQLite's open", timeout: .seconds(20)) {
            Self.isStopped(program.process.processIdentifier) ? true : nil
        }
        #expect(rename(other, data.databasePath) == 0)
        kill(program.process.processIdentifier, SIGCONT)
        #expect(try program.wait() == 1, "\(program.stderr)")
        let errors = program.stderrLines.filter { $0.contains("error:") }
        #expect(errors.count == 1, "\(program.stderr)")
        #expect(errors.first?.contains("\(data.databasePath) was replaced between its check and SQLite's open") == true, "\(program.stderr)")
        #expect(data.backups().isEmpty, "\(data.backups())")
        #expect(try Data(contentsOf: URL(fileURLWithPath: data.databasePath)) == swapped)
        #expect(!program.stderr.contains("child started"))
    }

    @Test("restore: its copy swapped for a link to root's file before the owner and mode are set: the target keeps root's owner and mode, one line names the link")
    func copySwappedBeforeOwner() throws {
        let data = try BackupCommandsTests.withTwoBackups()
        let secret = try Self.rootOnlyDatabase()
        try Self.handOver(data)
        let copy = data.dataDirectory + "/.webui.db.restoring"
        // The test build stops itself once the copy is made and checked, before it is given webui.db's owner.
        let program = try data.start(["restore"], ["MAI_ENTRYPOINT_TEST_STOP_AT": "restore-settle"])
        try waitFor("the restore to stop before settling its copy", timeout: .seconds(20)) {
            Self.isStopped(program.process.processIdentifier) ? true : nil
        }
        #expect(rename(copy, copy + ".moved") == 0)
        #expect(symlink(secret.file, copy) == 0)
        kill(program.process.processIdentifier, SIGCONT)
        #expect(try program.wait() == 1, "\(program.stderr)")
        #expect(Self.linkLines(program, copy).count == 1, "\(program.stderr)")
        var info = stat()
        #expect(stat(secret.file, &info) == 0)
        #expect(info.st_uid == 0 && info.st_gid == 0 && info.st_mode & 0o7777 == 0o600, "uid \(info.st_uid) mode \(String(info.st_mode & 0o7777, radix: 8))")
        #expect(try Data(contentsOf: URL(fileURLWithPath: secret.file)) == secret.bytes)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: data.databasePath)) == nil, "webui.db became a link")
        #expect(try sqlite(data.databasePath, "SELECT version_num FROM alembic_version") == [OpenWebUIDataFixture.head])
    }

    /// State `T` in /proc/PID/stat (the field after the command's closing parenthesis).
    static func isStopped(_ pid: Int32) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return false }
        return text[text.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("T")
    }
}
