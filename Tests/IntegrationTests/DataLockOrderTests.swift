import Foundation
import Glibc
import MaiTestSupport
import Testing

/// Issue 19, points 3 and 4: on SQLite the lock comes before anything touches the data, and it covers the
/// database's own folder wherever it is; on PostgreSQL (no lock) two runs prepare one DATA_DIR side by side.
@Suite("The lock before the data")
struct DataLockOrderTests {
    @Test("SQLite: a second run with --chown-data waits for the lock before it changes any owner or makes a key")
    func lockBeforePreparation() throws {
        let data = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.head)
        let first = try data.start(["--", "sleep", "60"])
        try first.waitForLog("child started")
        let key = data.dataDirectory + "/.webui_secret_key"
        try FileManager.default.removeItem(atPath: key)

        let second = try data.run(["--gate-timeout", "1", "--user", "4300:4301", "--chown-data", "--", "true"])
        #expect(second.process.terminationStatus == 1, "\(second.stderr)")
        #expect(second.stderr.contains("is still in use by another mai-entrypoint"), "\(second.stderr)")
        #expect(owner(data.dataDirectory) == [0, 0] && owner(data.databasePath) == [0, 0])
        #expect(!FileManager.default.fileExists(atPath: key))
        try first.signal(SIGTERM)
        #expect(try first.wait() == 143)
    }

    @Test("SQLite elsewhere: two runs with different DATA_DIRs and one DATABASE_URL take turns on the database's folder")
    func oneWriterPerDatabase() throws {
        let shared = try OpenWebUIDataFixture(revision: OpenWebUIDataFixture.head)
        let url = "sqlite:///" + shared.databasePath
        let first = try ProgramProcess(["--", "sleep", "60"],
                                       environment: ["DATABASE_URL": url, "DATA_DIR": shared.root + "/one", "OPENROUTER_EXTERNAL_USER": ""],
                                       workingDirectory: shared.root)
        try first.waitForLog("child started")
        let second = try runProgram(["--gate-timeout", "1", "--", "touch", shared.root + "/second"],
                                    environment: ["DATABASE_URL": url, "DATA_DIR": shared.root + "/two", "OPENROUTER_EXTERNAL_USER": ""],
                                    workingDirectory: shared.root)
        #expect(second.process.terminationStatus == 1, "\(second.stderr)")
        #expect(second.stderr.contains("\(shared.dataDirectory) is still in use by another mai-entrypoint, pid \(first.process.processIdentifier)"),
                "\(second.stderr)")
        #expect(!FileManager.default.fileExists(atPath: shared.root + "/second"))
        try first.signal(SIGTERM)
        #expect(try first.wait() == 143)
    }

    @Test("PostgreSQL: two runs at once on one DATA_DIR with --chown-data: one key for both, every file the user's",
          .enabled(if: ClusterForTests.enabled, "MAI_TEST_SKIP_POSTGRES=1"))
    func sideBySide() throws {
        let url = try ClusterForTests.freshDatabase()
        let data = try rootOwnedDataDirectory()
        for index in 0..<200 {
            try FileManager.default.createDirectory(atPath: "\(data)/f\(index)/g", withIntermediateDirectories: true)
            try Data("x".utf8).write(to: URL(fileURLWithPath: "\(data)/f\(index)/g/file"))
        }
        let environment = ["DATABASE_URL": url, "DATA_DIR": data, "OPENROUTER_EXTERNAL_USER": ""]
        let arguments = ["--user", "4300:4301", "--chown-data", "--", "sh", "-c", "printf %s \"$WEBUI_SECRET_KEY\""]
        let runs = try [ProgramProcess(arguments, environment: environment, pidNamespace: true, workingDirectory: data),
                        ProgramProcess(arguments, environment: environment, pidNamespace: true, workingDirectory: data)]
        for run in runs { #expect(try run.wait() == 0, "\(run.stderr)") }
        let key = String(try String(contentsOfFile: data + "/.webui_secret_key", encoding: .utf8).dropLast())
        #expect(runs.map(\.stdout) == [key, key])
        #expect(key.count == 64)
        let names = try FileManager.default.contentsOfDirectory(atPath: data).filter { $0.hasPrefix(".") }
        #expect(names == [".webui_secret_key"], "\(names)")
        let notTheUsers = try command("/usr/bin/find", [data, "!", "-uid", "4300", "-o", "!", "-gid", "4301"])
        #expect(notTheUsers.isEmpty, "\(notTheUsers)")
    }
}
