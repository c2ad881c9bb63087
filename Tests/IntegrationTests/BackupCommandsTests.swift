import Foundation
import Glibc
import Testing

/// Issue 12, point 3: `backups` lists the copies, `restore` puts one back and keeps what it replaces.
@Suite("Open WebUI's data: backups and restore")
struct BackupCommandsTests {
    /// A database with two backups (revisions 1a… then 2b…), moved on to the head afterwards.
    static func withTwoBackups() throws -> OpenWebUIDataFixture {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.revisions[0])
        for revision in OpenWebUIDataFixture.revisions.prefix(2) {
            try data.setRevision(revision)
            let run = try data.run(["--", "true"])
            #expect(run.process.terminationStatus == 0, "\(run.stderr)")
        }
        try data.setRevision(OpenWebUIDataFixture.head)
        return data
    }

    @Test("backups: newest first, each with its time, revision, size and integrity; an unsound one is flagged and the status is 1")
    func listing() throws {
        let data = try Self.withTwoBackups()
        let names = data.backups()
        let list = try data.run(["backups"])
        #expect(list.process.terminationStatus == 0, "\(list.stderr)")
        let lines = list.stdout.split(separator: "\n").map(String.init)
        try #require(lines.count == 3 && names.count == 2, "\(list.stdout)")
        #expect(lines.first == "backups of \(data.databasePath) in \(data.backupDirectory), newest first:")
        #expect(lines[1].hasPrefix(names[1] + "  "))
        #expect(lines[1].contains(#/  \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z  revision 2b0000000002  \d+\.\d kB  integrity ok$/#), "\(lines[1])")
        #expect(lines[2].hasPrefix(names[0] + "  "))
        #expect(lines[2].hasSuffix("integrity ok"))

        // A damaged copy: a page of its b-tree overwritten.
        let damaged = data.backupDirectory + "/" + names[0]
        let handle = try #require(FileHandle(forWritingAtPath: damaged))
        try handle.seek(toOffset: 4096 + 8)
        handle.write(Data(repeating: 0xFF, count: 64))
        try handle.close()
        let again = try data.run(["backups"])
        #expect(again.process.terminationStatus == 1)
        #expect(again.stdout.split(separator: "\n").last?.contains("integrity FAILED") == true, "\(again.stdout)")

        let empty = try OpenWebUIDataFixture(revision: nil)
        let none = try empty.run(["backups"])
        #expect(none.process.terminationStatus == 0)
        #expect(none.stdout == "no backups in \(empty.backupDirectory)\n")
    }

    @Test("restore: the newest by default, or a named one; the database it replaces is kept beside it; the rows are the backup's")
    func restore() throws {
        let data = try Self.withTwoBackups()
        let names = data.backups()
        try #require(names.count == 2, "\(names)")
        let before = try data.notes()
        try sqlite(data.databasePath, "INSERT INTO note (text) VALUES ('written after the backup'); CREATE TABLE _alembic_tmp_note (id TEXT)")
        let restored = try data.run(["restore"])
        #expect(restored.process.terminationStatus == 0, "\(restored.stderr)")
        #expect(try data.notes() == before)
        #expect(try sqlite(data.databasePath, "SELECT version_num FROM alembic_version") == ["2b0000000002"])
        #expect(try sqlite(data.databasePath, "SELECT name FROM sqlite_master WHERE name LIKE '_alembic_tmp_%'") == [])
        #expect(try sqlite(data.databasePath, "PRAGMA integrity_check") == ["ok"])
        let aside = try FileManager.default.contentsOfDirectory(atPath: data.dataDirectory).filter { $0.hasPrefix("webui.db.before-restore-") }
        #expect(aside.count == 1)
        let asidePath = data.dataDirectory + "/" + (aside.first ?? "")
        #expect(try data.notes(asidePath).last == "written after the backup")
        #expect(try sqlite(asidePath, "SELECT version_num FROM alembic_version") == [OpenWebUIDataFixture.head])
        #expect(restored.stderr.contains("info: Restored \(data.databasePath) from \(data.backupDirectory)/\(names[1]) (revision 2b0000000002, "))
        #expect(restored.stderr.contains("; the database it replaced is kept as \(asidePath)"))

        let named = try data.run(["restore", names[0]])
        #expect(named.process.terminationStatus == 0, "\(named.stderr)")
        #expect(try sqlite(data.databasePath, "SELECT version_num FROM alembic_version") == ["1a0000000001"])
        // Both earlier databases are still there, and the backups too.
        #expect(try FileManager.default.contentsOfDirectory(atPath: data.dataDirectory).filter { $0.hasPrefix("webui.db.before-restore-") }.count == 2)
        #expect(data.backups() == names)

        for (argument, message) in [("webui-20200101T000000.000Z-x.db", "no backup webui-20200101T000000.000Z-x.db in \(data.backupDirectory)"),
                                    ("../webui.db", "../webui.db is not a backup's name")] {
            let refused = try data.run(["restore", argument])
            #expect(refused.process.terminationStatus == 1)
            #expect(refused.stderr.contains("mai-entrypoint: error: \(message)"), "\(refused.stderr)")
        }
    }

    @Test("restore refuses while a run holds DATA_DIR, naming it, and changes nothing")
    func refusedWhileRunning() throws {
        let data = try Self.withTwoBackups()
        let server = try data.start(["--", "sleep", "60"])
        try server.waitForLog("child started")
        let refused = try data.run(["restore"])
        #expect(refused.process.terminationStatus == 1)
        #expect(refused.stderr.contains("mai-entrypoint: error: refusing to restore: a mai-entrypoint run, pid \(server.process.processIdentifier) on host \(hostName()), holds DATA_DIR \(data.dataDirectory)"),
                "\(refused.stderr)")
        #expect(try sqlite(data.databasePath, "SELECT version_num FROM alembic_version") == [OpenWebUIDataFixture.head])
        #expect(try FileManager.default.contentsOfDirectory(atPath: data.dataDirectory).filter { $0.contains("before-restore") }.isEmpty)
        try server.signal(SIGTERM)
        #expect(try server.wait() == 143)
    }

    @Test("restore as the command of a run (the image's ENTRYPOINT mai-entrypoint --): the run becomes the restore, no lock, no key, no tracking")
    func restoreUnderARun() throws {
        let data = try Self.withTwoBackups()
        try FileManager.default.removeItem(atPath: data.dataDirectory + "/.webui_secret_key")
        let run = try data.run(["--", programPath, "restore"], trackingEnvironment)
        #expect(run.process.terminationStatus == 0, "\(run.stderr)")
        #expect(!run.stderr.contains("Usage tracking"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: data.dataDirectory + "/.webui_secret_key"))
        #expect(run.stderr.contains("info: Restored \(data.databasePath) from"))
        #expect(try sqlite(data.databasePath, "SELECT version_num FROM alembic_version") == ["2b0000000002"])
    }

    @Test("restore refuses while a server started without mai-entrypoint has webui.db open (found in /proc)")
    func refusedWhileOpen() throws {
        let data = try Self.withTwoBackups()
        let script = "import sqlite3, sys, time\nc = sqlite3.connect(sys.argv[1])\nc.execute('SELECT * FROM note').fetchall()\nprint('ready', flush=True)\ntime.sleep(60)\n"
        let holder = try ProgramProcess(["-c", script, data.databasePath], executable: "/usr/bin/python3")
        defer { kill(holder.process.processIdentifier, SIGKILL) }
        try waitFor("the holder to open webui.db", timeout: .seconds(15)) { holder.stdout.contains("ready") ? true : nil }
        let refused = try data.run(["restore"])
        #expect(refused.process.terminationStatus == 1)
        #expect(refused.stderr.contains("refusing to restore: pid \(holder.process.processIdentifier) (python3) has \(data.databasePath)"), "\(refused.stderr)")
        #expect(try sqlite(data.databasePath, "SELECT version_num FROM alembic_version") == [OpenWebUIDataFixture.head])
    }
}
