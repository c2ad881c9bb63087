import Foundation
import Glibc
import MaiOpenWebUI
import MaiSQL
import MaiTestSupport
import MaiUsageTracking
import Testing

@Suite("SQLite failures")
struct SQLiteFailureTests {
    @Test("a database another process holds with BEGIN EXCLUSIVE for 3 s is waited for, and then initialized")
    func lockedByAnotherProcess() throws {
        let path = try temporaryDirectory() + "/webui.db"
        try shell("sqlite3 \(quoted(path)) 'CREATE TABLE user (id TEXT)'")
        let holder = try SQLiteLockHolder(path: path, seconds: 3)
        let recorder = LogRecorder()
        let started = ContinuousClock.now
        let outcome = initialize(["DATABASE_URL": "sqlite:///" + path], recorder: recorder)
        let elapsed = ContinuousClock.now - started
        holder.wait()
        #expect(outcome.report?.change == .created, "\(outcome)")
        #expect(elapsed > .milliseconds(2500), "finished while the lock was still held")
        #expect(elapsed < .seconds(10))
        let retries = recorder.messages(at: .warning)
        #expect(!retries.isEmpty)
        #expect(retries.allSatisfy { $0.contains("database is locked") && $0.contains("SQLITE_BUSY") && $0.contains("retrying in") })
    }

    @Test("a read-only file fails at once with a clear error and stays byte-identical")
    func readOnlyFile() throws {
        let path = try temporaryDirectory() + "/webui.db"
        try shell("sqlite3 \(quoted(path)) 'CREATE TABLE user (id TEXT)'")
        let before = fileBytes(path)
        // Tests run as root, which writes through permission bits; the immutable flag stops root too.
        try shell("chattr +i \(quoted(path))")
        defer { _ = try? shell("chattr -i \(quoted(path))") }
        let started = ContinuousClock.now
        let failure = initialize(["DATABASE_URL": "sqlite:///" + path]).failure
        // A permanent failure (below) is the proof that nothing was retried; the bound only tells it from the
        // 20 s retry timeout (it was 2 s, which a loaded machine may break).
        #expect(ContinuousClock.now - started < .seconds(10))
        guard let sqlite = permanentSQLiteFailure(failure) else { return }
        #expect(sqlite.description == "SQLite database \(path): the database file is read-only (operation not permitted); nothing was written (SQLITE_READONLY)")
        #expect(fileBytes(path) == before)
    }

    @Test("a read-only directory fails at once, and no file is created")
    func readOnlyDirectory() throws {
        let directory = try temporaryDirectory()
        try shell("chattr +i \(quoted(directory))")
        defer { _ = try? shell("chattr -i \(quoted(directory))") }
        let failure = initialize(["DATA_DIR": directory]).failure
        guard let sqlite = permanentSQLiteFailure(failure) else { return }
        #expect(sqlite.description.contains("cannot create the database file in \(directory): operation not permitted"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/webui.db"))
    }

    @Test("a directory that cannot be created is reported with the reason")
    func directoryCannotBeCreated() throws {
        let parent = try temporaryDirectory()
        try shell("chattr +i \(quoted(parent))")
        defer { _ = try? shell("chattr -i \(quoted(parent))") }
        let failure = initialize(["DATA_DIR": parent + "/data"]).failure
        #expect(failure == .permanent(.directory(path: parent + "/data", errno: EPERM)))
        #expect(failure?.description == "cannot create the database directory \(parent)/data: operation not permitted")
    }

    @Test("a corrupt file (random bytes) fails at once, is named not a database, and stays byte-identical")
    func corruptFile() throws {
        let path = try temporaryDirectory() + "/webui.db"
        var generator = SystemRandomNumberGenerator()
        let noise = Data((0..<16_384).map { _ in UInt8.random(in: 0...255, using: &generator) })
        #expect(FileManager.default.createFile(atPath: path, contents: noise))
        let started = ContinuousClock.now
        let failure = initialize(["DATABASE_URL": "sqlite:///" + path]).failure
        // A permanent failure (below) is the proof that nothing was retried; the bound only tells it from the
        // 20 s retry timeout (it was 2 s, which a loaded machine may break).
        #expect(ContinuousClock.now - started < .seconds(10))
        guard let sqlite = permanentSQLiteFailure(failure) else { return }
        #expect(sqlite.description == "SQLite database \(path): not a database file (corrupt or encrypted); it was left untouched (SQLITE_NOTADB)")
        #expect(fileBytes(path) == noise)
        #expect(!FileManager.default.fileExists(atPath: path + "-journal"))
    }
}

/// The SQLite failure inside a permanent one; records an issue and gives nil for anything else.
func permanentSQLiteFailure(_ failure: InitializationFailure?) -> SQLiteFailure? {
    guard case .permanent(.sqlite(let sqlite)) = failure else {
        Issue.record("expected a permanent SQLite failure, got \(String(describing: failure))")
        return nil
    }
    return sqlite
}
