import Foundation
import Glibc
import Testing

/// Issue 19, point 1 (the two attacks observed): root follows no link that the server's user planted where
/// DATA_DIR's `backups` folder or `webui.db` should be.
@Suite("No link followed as root in DATA_DIR")
struct DataLinkTests {
    @Test("a `backups` link to a root-only folder: nothing written there, nothing deleted there, one line naming it")
    func backupsLink() throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.revisions[0])
        let rootOnly = try makeTemporaryDirectory().path
        chmod(rootOnly, 0o700)
        let roots = (1...4).map { "webui-2020010\($0)T000000.000Z-1a0000000001.db" }
        for name in roots { try Data("root's own".utf8).write(to: URL(fileURLWithPath: rootOnly + "/" + name)) }
        try FileManager.default.createSymbolicLink(atPath: data.backupDirectory, withDestinationPath: rootOnly)

        let run = try data.run(["--", "true"])
        #expect(run.process.terminationStatus == 0, "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: rootOnly).sorted() == roots)
        #expect(run.stderr.contains("\(data.backupDirectory) is a symbolic link (not followed)"), "\(run.stderr)")

        let listed = try data.run(["backups"])
        #expect(listed.process.terminationStatus == 1, "\(listed.stdout)")
        #expect(listed.stderr.contains("\(data.backupDirectory) is a symbolic link (not followed)"), "\(listed.stderr)")
    }

    @Test("restore with a `webui.db` (or -wal) link: refused in one line naming it; the link and its target unchanged",
          arguments: ["", "-wal"])
    func restoreOverLink(suffix: String) throws {
        let data = try BackupCommandsTests.withTwoBackups()
        let elsewhere = try makeTemporaryDirectory().path + "/elsewhere.db"
        if suffix.isEmpty {
            try FileManager.default.moveItem(atPath: data.databasePath, toPath: elsewhere)
        } else {
            try Data("a write-ahead log".utf8).write(to: URL(fileURLWithPath: elsewhere))
        }
        try FileManager.default.createSymbolicLink(atPath: data.databasePath + suffix, withDestinationPath: elsewhere)
        let before = try Data(contentsOf: URL(fileURLWithPath: elsewhere))
        let run = try data.run(["restore"])
        #expect(run.process.terminationStatus == 1, "\(run.stderr)")
        #expect(run.stderr.contains("error: \(data.databasePath + suffix) is a symbolic link (not followed)"), "\(run.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: data.databasePath + suffix) == elsewhere)
        #expect(try Data(contentsOf: URL(fileURLWithPath: elsewhere)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: data.dataDirectory).filter { $0.contains("before-restore") }.isEmpty)
    }

    @Test("a `webui.db` link: no file is made at its target, the run refuses in one line naming the link")
    func databaseLink() throws {
        let data = try OpenWebUIDataFixture(revision: nil)
        let target = try makeTemporaryDirectory().path + "/planted"
        try FileManager.default.removeItem(atPath: data.databasePath)
        try FileManager.default.createSymbolicLink(atPath: data.databasePath, withDestinationPath: target)

        let run = try data.run(["--", "true"], trackingEnvironment)
        #expect(run.process.terminationStatus == 1, "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target), "root made the link's target")
        let lines = run.stderrLines.filter { $0.contains("error:") }
        #expect(lines.count == 1, "\(run.stderr)")
        #expect(lines.first?.contains("\(data.databasePath) is a symbolic link (not followed)") == true, "\(run.stderr)")
        #expect(!run.stderr.contains("child started"))
    }
}
