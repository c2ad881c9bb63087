import Foundation
import Glibc
import Testing

/// Issue 19, point 6: `restore` replaces a corrupt database (set aside by rename, owner and mode kept), refuses
/// under any live run, and `backups` says when it cannot read its folder.
@Suite("restore when it matters")
struct RestoreRecoveryTests {
    @Test("a corrupt webui.db (0600, the server user's, with a -wal) is set aside whole by rename and replaced")
    func corruptDatabase() throws {
        let data = try BackupCommandsTests.withTwoBackups()
        // The header's page count far beyond the file: SQLite's backup API fails on it with SQLITE_CORRUPT.
        let handle = try #require(FileHandle(forWritingAtPath: data.databasePath))
        try handle.seek(toOffset: 28)
        handle.write(Data([0x00, 0x01, 0x86, 0xA0]))
        try handle.close()
        try Data("a write-ahead log of the damaged database".utf8).write(to: URL(fileURLWithPath: data.databasePath + "-wal"))
        for path in [data.databasePath, data.databasePath + "-wal"] {
            #expect(chown(path, 4300, 4301) == 0 && chmod(path, 0o600) == 0)
        }
        let damaged = try Data(contentsOf: URL(fileURLWithPath: data.databasePath))

        let restored = try data.run(["restore"])
        #expect(restored.process.terminationStatus == 0, "\(restored.stderr)")
        #expect(try sqlite(data.databasePath, "PRAGMA integrity_check") == ["ok"])
        #expect(try sqlite(data.databasePath, "SELECT version_num FROM alembic_version") == ["2b0000000002"])
        let aside = try FileManager.default.contentsOfDirectory(atPath: data.dataDirectory)
            .filter { $0.hasPrefix("webui.db.before-restore-") }.sorted()
        try #require(aside.count == 2, "\(aside)")
        let kept = data.dataDirectory + "/" + aside[0]
        #expect(aside[1] == aside[0] + "-wal")
        #expect(try Data(contentsOf: URL(fileURLWithPath: kept)) == damaged)
        #expect(try String(contentsOfFile: kept + "-wal", encoding: .utf8) == "a write-ahead log of the damaged database")
        for path in [kept, kept + "-wal", data.databasePath] {
            var info = stat()
            #expect(stat(path, &info) == 0)
            #expect(info.st_uid == 4300 && info.st_gid == 4301 && info.st_mode & 0o7777 == 0o600, "\(path)")
        }
    }

    @Test("a restore started in the background under a running server (re-parented to PID 1) is refused")
    func backgroundRestoreRefused() throws {
        let data = try BackupCommandsTests.withTwoBackups()
        let output = data.root + "/restore-output"
        // The inner shell starts the restore in the background and exits: the restore is re-parented to PID 1.
        let script = "sh -c '\(programPath) restore >\(output) 2>&1 &'; exec sleep 60"
        let server = try ProgramProcess(["--", "sh", "-c", script], environment: data.environment(), pidNamespace: true,
                                        workingDirectory: data.root)
        try waitFor("the restore to end", timeout: .seconds(20)) {
            let said = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            return said.contains("error:") || said.contains("Restored") ? true : nil
        }
        let said = try String(contentsOfFile: output, encoding: .utf8)
        #expect(said.contains("refusing to restore: a mai-entrypoint run, pid 1 on host"), "\(said)")
        #expect(try sqlite(data.databasePath, "SELECT version_num FROM alembic_version") == [OpenWebUIDataFixture.head])
        try server.signal(SIGTERM)
        #expect(try server.wait() == 143)
    }

    @Test("backups: a folder that cannot be read is said so, exit 1 (a file, and a folder the user may not read)")
    func unreadableFolder() throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.head)
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: data.backupDirectory))
        let file = try data.run(["backups"])
        #expect(file.process.terminationStatus == 1, "\(file.stdout)")
        #expect(file.stderr.contains("error: cannot read the backups folder \(data.backupDirectory): not a directory"), "\(file.stderr)")

        try FileManager.default.removeItem(atPath: data.backupDirectory)
        #expect(mkdir(data.backupDirectory, 0o700) == 0)
        let program = try ProgramProcess(["--reuid", "65534", "--regid", "65534", "--clear-groups", programPath, "backups"],
                                         environment: data.environment(), workingDirectory: data.root,
                                         executable: "/usr/bin/setpriv")
        #expect(try program.wait() == 1, "\(program.stdout)")
        #expect(program.stderr.contains("error: cannot read the backups folder \(data.backupDirectory): permission denied"), "\(program.stderr)")
    }
}
