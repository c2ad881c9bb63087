import Foundation
import Glibc
import MaiAccounts
import MaiDataDirectory
import MaiSystem
import Testing

/// The key file given to the server's user: a chown, so root.
@Suite struct SecretKeyFileTests {
    func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mai-key-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func ownedByTheServersUser() throws {
        let directory = try folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try SecretKeyFile.loadOrCreate(directory: directory, owner: Credentials(uid: 4321, gid: 4322, groups: []))
        let status = try #require(FileStatus.of(directory + "/.webui_secret_key"))
        #expect(status.uid == 4321 && status.gid == 4322 && status.permissions == 0o600)
    }
}

/// `--chown-data` on a real tree (the tests run as root).
@Suite struct OwnershipTests {
    @Test func onlyWhatDiffersAndNeverThroughLinks() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("mai-chown-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let data = base + "/data", outside = base + "/outside"
        try FileManager.default.createDirectory(atPath: data + "/uploads/deep", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try "x".write(toFile: data + "/webui.db", atomically: false, encoding: .utf8)
        try "y".write(toFile: data + "/uploads/deep/file", atomically: false, encoding: .utf8)
        try "z".write(toFile: outside + "/secret", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: data + "/link-to-outside", withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: data + "/uploads/link-to-file", withDestinationPath: outside + "/secret")
        lchown(data + "/webui.db", 5000, 5000)
        let user = Credentials(uid: 5000, gid: 5000, groups: [5000])

        let report = try changeOwnership(of: data, to: user)
        // data, uploads, deep, file, two links: six of seven (webui.db already was the user's).
        #expect(report == OwnershipReport(examined: 7, changed: 6, failed: 0, firstFailure: nil))
        for path in ["", "/uploads", "/uploads/deep", "/uploads/deep/file", "/webui.db"] {
            #expect(FileStatus.of(data + path).map { [$0.uid, $0.gid] } == [5000, 5000], "\(path)")
        }
        #expect(FileStatus.of(data + "/link-to-outside", followLinks: false)?.uid == 5000)
        #expect(FileStatus.of(outside)?.uid == 0)
        #expect(FileStatus.of(outside + "/secret")?.uid == 0)

        let again = try changeOwnership(of: data, to: user)
        #expect(again.changed == 0 && again.examined == 7)
    }

    @Test func createdPathsOnly() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("mai-created-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        try "old".write(toFile: base + "/old.db-wal", atomically: false, encoding: .utf8)
        let watched = CreatedPaths(watching: CreatedPaths.sqlite(base + "/new/old.db") + [base + "/old.db-wal"])
        try FileManager.default.createDirectory(atPath: base + "/new", withIntermediateDirectories: true)
        try "db".write(toFile: base + "/new/old.db", atomically: false, encoding: .utf8)
        let changed = watched.giveToOwner(Credentials(uid: 5001, gid: 5001, groups: []))
        #expect(changed == [base + "/new", base + "/new/old.db"])
        #expect(FileStatus.of(base + "/old.db-wal")?.uid == 0)
        #expect(FileStatus.of(base)?.uid == 0)
    }
}
