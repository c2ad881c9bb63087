import Foundation
import Glibc
import Testing

/// Issue 12, points 1 and 2: a copy of webui.db before Open WebUI migrates it, and one line that says what an
/// interrupted migration left and how to put the copy back.
@Suite("Open WebUI's data: the backup before its migrations")
struct OpenWebUIBackupTests {
    @Test("a database behind the installed scripts' head is copied first, the copy verified and logged; the server then starts")
    func backupBeforeMigrations() throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.revisions[0], rows: 500)
        let run = try data.run(["--", "sqlite3", data.databasePath, "SELECT version_num FROM alembic_version"])
        #expect(run.process.terminationStatus == 0, "\(run.stderr)")
        #expect(run.stdout == "1a0000000001\n")  // the server found the database as it was
        let backups = data.backups()
        try #require(backups.count == 1, "\(backups) \(run.stderr)")
        let name = try #require(backups.first)
        #expect(name.wholeMatch(of: #/webui-\d{8}T\d{6}\.\d{3}Z-1a0000000001\.db/#) != nil, "\(name)")
        let path = data.backupDirectory + "/" + name
        let line = try #require(run.stderrLines.first { $0.contains("Backup of webui.db before Open WebUI migrations") })
        #expect(line.contains("info: Backup of webui.db before Open WebUI migrations: \(path) ("), "\(line)")
        #expect(line.contains(#/\(\d+\.\d kB, \d+ ms\) head=6f0000000006 revision=1a0000000001/#), "\(line)")
        // The copy is a whole, sound database on its own (no -wal beside it) with every row.
        #expect(try sqlite(path, "PRAGMA integrity_check") == ["ok"])
        #expect(try data.notes(path) == data.notes())
        #expect(try sqlite(path, "SELECT version_num FROM alembic_version") == ["1a0000000001"])
        #expect(try sqlite(path, "PRAGMA journal_mode") == ["delete"])
        #expect(data.backups() == [name])
        // The backup comes before the server: its line precedes the child's start.
        let order = run.stderrLines.map { $0.contains("Backup of webui.db") ? 1 : $0.contains("child started") ? 2 : 0 }.filter { $0 > 0 }
        #expect(order == [1, 2])
    }

    @Test("nothing to copy: a database at the head, a fresh data folder, a database Open WebUI never migrated")
    func noBackupNeeded() throws {
        let atHead = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.head)
        let fresh = try OpenWebUIDataFixture(revision: nil)
        try FileManager.default.removeItem(atPath: fresh.databasePath)
        let unmigrated = try OpenWebUIDataFixture(revision: nil)
        for data in [atHead, fresh, unmigrated] {
            let run = try data.run(["--", "true"])
            #expect(run.process.terminationStatus == 0, "\(run.stderr)")
            #expect(!run.stderr.contains("Backup"), "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: data.backupDirectory))
        }
    }

    @Test("retention: the newest 3 are kept (--keep-backups, MAI_ENTRYPOINT_KEEP_BACKUPS); other files in the folder are never touched")
    func retention() throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.revisions[0])
        try FileManager.default.createDirectory(atPath: data.backupDirectory, withIntermediateDirectories: true)
        let foreign = ["webui.db", "webui-before-upgrade.db", "mine-20200101T000000.000Z-x.db", "webui-20200101T000000Z-x.db"]
        for name in foreign { try "keep".write(toFile: data.backupDirectory + "/" + name, atomically: true, encoding: .utf8) }
        for revision in OpenWebUIDataFixture.revisions.prefix(5) {
            try data.setRevision(revision)
            let run = try data.run(["--", "true"])
            #expect(run.process.terminationStatus == 0, "\(run.stderr)")
        }
        let ours = data.backups().filter { !foreign.contains($0) }
        #expect(ours.map { String($0.suffix(15).prefix(12)) } == Array(OpenWebUIDataFixture.revisions[2..<5]), "\(ours)")
        #expect(Set(data.backups()).isSuperset(of: foreign))

        // One more with a retention of 1 from the variable: only the newest of ours is left.
        try data.setRevision(OpenWebUIDataFixture.revisions[0])
        let run = try data.run(["--", "true"], ["MAI_ENTRYPOINT_KEEP_BACKUPS": "1"])
        #expect(run.stderrLines.filter { $0.contains("deleted the old backup") }.count == 3, "\(run.stderr)")
        #expect(data.backups().filter { !foreign.contains($0) }.count == 1)
        #expect(data.backups().count == foreign.count + 1)
    }

    @Test("--keep-backups 0 makes none; a bad value is a usage error naming the variable")
    func backupsOff() throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.revisions[0])
        let off = try data.run(["--keep-backups", "0", "--", "true"])
        #expect(off.process.terminationStatus == 0)
        #expect(off.stderr.contains("backups are off (--keep-backups 0)"))
        #expect(data.backups().isEmpty)
        let bad = try data.run(["--", "true"], ["MAI_ENTRYPOINT_KEEP_BACKUPS": "-1"])
        #expect(bad.process.terminationStatus == 2)
        #expect(bad.stderr.contains("MAI_ENTRYPOINT_KEEP_BACKUPS=-1"), "\(bad.stderr)")
    }

    @Test("scripts not found: one warning naming where they were looked for, no backup, the server starts")
    func scriptsNotFound() throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.revisions[0])
        let run = try data.run(["--", "true"], scripts: false)
        #expect(run.process.terminationStatus == 0)
        let warnings = run.stderrLines.filter { $0.contains("migration scripts") }
        #expect(warnings.count == 1, "\(run.stderr)")
        #expect(warnings.first?.contains("warning: Open WebUI's migration scripts are not in \(data.root)/open_webui/migrations/versions or /app/backend/open_webui/migrations/versions") == true,
                "\(warnings)")
        #expect(data.backups().isEmpty)
    }

    @Test("not enough space for the copy (a 256 kB tmpfs): said why and started anyway; with --backup-required, exit 1 and no server")
    func notEnoughSpace() throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.revisions[0], rows: 20_000)
        try FileManager.default.createDirectory(atPath: data.backupDirectory, withIntermediateDirectories: true)
        let marker = data.root + "/server-started"
        // A private mount namespace: the tmpfs exists for this run only.
        func run(_ options: [String]) throws -> ProgramProcess {
            let script = "mount -t tmpfs -o size=256k tmpfs \"$0\" && exec \"$@\""
            let program = try ProgramProcess(["--mount", "--propagation", "private", "sh", "-c", script, data.backupDirectory, programPath]
                                             + options + ["--", "touch", marker],
                                             environment: data.environment(), workingDirectory: data.root, executable: "/usr/bin/unshare")
            try program.wait()
            return program
        }
        let started = try run([])
        #expect(started.process.terminationStatus == 0, "\(started.stderr)")
        let line = try #require(started.stderrLines.first { $0.contains("no backup of webui.db") }, "\(started.stderr)")
        #expect(line.contains("warning: no backup of webui.db before Open WebUI migrations: not enough free space in \(data.backupDirectory): the copy needs about "), "\(line)")
        #expect(line.hasSuffix("; starting the server anyway (--backup-required would stop here)"))
        #expect(FileManager.default.fileExists(atPath: marker))
        try FileManager.default.removeItem(atPath: marker)

        let refused = try run(["--backup-required"])
        #expect(refused.process.terminationStatus == 1)
        #expect(refused.stderr.contains("error: not starting the server: no backup of webui.db before Open WebUI migrations: not enough free space"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(data.backups().isEmpty)
        #expect(try sqlite(data.databasePath, "PRAGMA integrity_check") == ["ok"])
    }

    @Test("an interrupted migration: one error line names the leftover tables, the newest backup and the restore command; the server still starts")
    func interruptedMigration() throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.revisions[0])
        #expect(try data.run(["--", "true"]).process.terminationStatus == 0)
        let backup = try #require(data.backups().first)
        // What a kill inside Alembic's batch copy leaves: the revision moved on, the copy of a table left behind.
        try data.setRevision(OpenWebUIDataFixture.revisions[3])
        try sqlite(data.databasePath, "CREATE TABLE _alembic_tmp_knowledge (id TEXT); CREATE TABLE _alembic_tmp_file (id TEXT)")
        let run = try data.run(["--", "touch", data.root + "/started"])
        #expect(run.process.terminationStatus == 0)
        #expect(FileManager.default.fileExists(atPath: data.root + "/started"))
        let errors = run.stderrLines.filter { $0.contains(" error: ") }
        #expect(errors.count == 1, "\(run.stderr)")
        let line = errors.first ?? ""
        #expect(line.contains("\(data.databasePath): an interrupted Open WebUI migration left the tables _alembic_tmp_file, _alembic_tmp_knowledge (alembic revision 4d0000000004)"), "\(line)")
        #expect(line.contains("the newest backup is \(data.backupDirectory)/\(backup) ("), "\(line)")
        #expect(line.hasSuffix("revision 1a0000000001): stop the server and run \"mai-entrypoint restore \(backup)\""), "\(line)")
        // No copy of the half-migrated database: it would push the good one out.
        #expect(data.backups() == [backup])

        let required = try data.run(["--init-required", "--", "touch", data.root + "/required"])
        #expect(required.process.terminationStatus == 1)
        #expect(required.stderr.contains("not starting the server: webui.db needs a restore first (--init-required)"))
        #expect(!FileManager.default.fileExists(atPath: data.root + "/required"))
    }

    @Test("a revision no script names (a newer Open WebUI's database): named in the one line, with no backup to restore")
    func unknownRevision() throws {
        let data = try OpenWebUIDataFixture(revision: "9f9999999999")
        let run = try data.run(["--", "true"])
        #expect(run.process.terminationStatus == 0)
        let errors = run.stderrLines.filter { $0.contains(" error: ") }
        #expect(errors.count == 1, "\(run.stderr)")
        #expect(errors.first?.contains("its alembic revision 9f9999999999 is named by none of Open WebUI's migration scripts in \(data.openWebUIDirectory)/open_webui/migrations/versions") == true, "\(errors)")
        #expect(errors.first?.hasSuffix("there is no backup in \(data.backupDirectory) to restore") == true, "\(errors)")
        #expect(data.backups().isEmpty)
    }

    @Test("PostgreSQL: one line saying to take a pg_dump, no backup folder and no lock file")
    func postgres() throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.revisions[0])
        let run = try data.run(["--", "true"], ["DATABASE_URL": "postgresql://webui@127.0.0.1:1/webui"])
        #expect(run.process.terminationStatus == 0)
        #expect(run.stderrLines.filter { $0.contains("pg_dump") }.count == 1)
        #expect(run.stderr.contains("info: Open WebUI's database is PostgreSQL: no backup is made before its migrations; take a pg_dump before upgrading the image"))
        #expect(!FileManager.default.fileExists(atPath: data.backupDirectory))
        #expect(!FileManager.default.fileExists(atPath: data.dataDirectory + "/.mai-entrypoint.lock"))
    }
}
