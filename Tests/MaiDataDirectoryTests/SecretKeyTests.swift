import Foundation
import Glibc
import MaiAccounts
import MaiDataDirectory
import MaiSystem
import Testing

/// Whether a key is generated, and where it is kept.
@Suite struct SecretKeyDecisionTests {
    let data = "/data"

    @Test func givenKeysWin() {
        let none: (String) -> Bool = { _ in Issue.record("no file is looked at"); return false }
        #expect(SecretKeySource.decide(["WEBUI_SECRET_KEY": "k"], dataDirectory: data, exists: none) == .environment(variable: "WEBUI_SECRET_KEY"))
        #expect(SecretKeySource.decide(["WEBUI_JWT_SECRET_KEY": "k", "WEBUI_SECRET_KEY_FILE": "/k"], dataDirectory: data, exists: none)
            == .environment(variable: "WEBUI_JWT_SECRET_KEY"))
        // start.sh's test: empty counts as unset.
        #expect(SecretKeySource.decide(["WEBUI_SECRET_KEY": "", "WEBUI_JWT_SECRET_KEY": "k"], dataDirectory: data, exists: none)
            == .environment(variable: "WEBUI_JWT_SECRET_KEY"))
    }

    @Test func keyFileOnlyWhenItExists() {
        let env = ["WEBUI_SECRET_KEY": "", "WEBUI_SECRET_KEY_FILE": "/run/secrets/key"]
        #expect(SecretKeySource.decide(env, dataDirectory: data) { $0 == "/run/secrets/key" } == .keyFile(path: "/run/secrets/key"))
        #expect(SecretKeySource.decide(env, dataDirectory: data) { _ in false } == .dataDirectory(path: "/data/.webui_secret_key"))
        #expect(SecretKeySource.decide(["WEBUI_SECRET_KEY_FILE": ""], dataDirectory: data) { _ in true } == .dataDirectory(path: "/data/.webui_secret_key"))
    }

    @Test func noneGiven() {
        #expect(SecretKeySource.decide([:], dataDirectory: "/app/backend/data") { _ in false } == .dataDirectory(path: "/app/backend/data/.webui_secret_key"))
    }
}

/// The key file itself, on real files.
@Suite struct SecretKeyFileTests {
    func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mai-key-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func generatedOnceThenReused() throws {
        let directory = try folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try SecretKeyFile.loadOrCreate(directory: directory, owner: nil)
        #expect(first.outcome == .generated)
        #expect(first.key.count == 64 && first.key.allSatisfy { $0.isHexDigit })
        let path = directory + "/.webui_secret_key"
        let status = try #require(FileStatus.of(path))
        #expect(status.permissions == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == first.key + "\n")
        let second = try SecretKeyFile.loadOrCreate(directory: directory, owner: nil)
        #expect(second.outcome == .reused && second.key == first.key)
        // Nothing but the key file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == [".webui_secret_key"])
    }

    @Test func anExistingKeyIsNeverReplaced() throws {
        let directory = try folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/.webui_secret_key"
        try "an operator's own key\r\n".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o644)
        let result = try SecretKeyFile.loadOrCreate(directory: directory, owner: nil)
        #expect(result.key == "an operator's own key" && result.outcome == .reused)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "an operator's own key\r\n")
        #expect(FileStatus.of(path)?.permissions == 0o644)
    }

    @Test func oddFilesAreRefusedNotReplaced() throws {
        let directory = try folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/.webui_secret_key"
        let cases: [(String, () throws -> Void)] = [
            ("it is empty", { try "\n".write(toFile: path, atomically: false, encoding: .utf8) }),
            ("is a symbolic link (not followed)", { try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/etc/shadow") }),
            ("is a directory", { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false) }),
            ("it is not a line of text", { try Data([0x61, 0, 0x62]).write(to: URL(fileURLWithPath: path)) }),
        ]
        for (reason, make) in cases {
            try? FileManager.default.removeItem(atPath: path)
            try make()
            let before = try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int
            #expect {
                try SecretKeyFile.loadOrCreate(directory: directory, owner: nil)
            } throws: { error in
                (error as? SecretKeyError)?.reason == reason && "\(error)".contains(path)
            }
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int == before)
        }
    }

    @Test func missingFolderIsAnError() {
        #expect(throws: SecretKeyError.self) { try SecretKeyFile.loadOrCreate(directory: "/nonexistent/mai-key", owner: nil) }
    }
}

@Suite struct DataAccessTests {
    let app = Account(name: "app", credentials: Credentials(uid: 1000, gid: 1000, groups: [1000]), home: nil)

    @Test func firstProblemInOneLine() {
        var files: [String: FileStatus] = [
            "/srv": FileStatus(uid: 0, gid: 0, mode: S_IFDIR | 0o755),
            "/srv/data": FileStatus(uid: 0, gid: 0, mode: S_IFDIR | 0o755),
        ]
        let problem = dataAccessProblem(dataDirectory: "/srv/data", database: "/srv/data/webui.db", account: app) { files[$0] }
        #expect(problem == "the server, run as app (1000:1000), cannot write to DATA_DIR: /srv/data has owner 0:0 and mode 0755; start with --chown-data (MAI_ENTRYPOINT_CHOWN_DATA=true) to make DATA_DIR owned by 1000:1000, or change its owner")
        files["/srv"] = FileStatus(uid: 0, gid: 0, mode: S_IFDIR | 0o700)
        #expect(dataAccessProblem(dataDirectory: "/srv/data", database: nil, account: app) { files[$0] }?
            .contains("cannot reach DATA_DIR /srv/data: /srv has owner 0:0 and mode 0700") == true)
        files["/srv"] = FileStatus(uid: 0, gid: 0, mode: S_IFDIR | 0o755)
        files["/srv/data"] = FileStatus(uid: 1000, gid: 1000, mode: S_IFDIR | 0o755)
        files["/srv/data/webui.db"] = FileStatus(uid: 0, gid: 0, mode: S_IFREG | 0o644)
        #expect(dataAccessProblem(dataDirectory: "/srv/data", database: "/srv/data/webui.db", account: app) { files[$0] }?
            .contains("cannot write its database: /srv/data/webui.db has owner 0:0 and mode 0644") == true)
        files["/srv/data/webui.db"] = FileStatus(uid: 1000, gid: 1000, mode: S_IFREG | 0o644)
        #expect(dataAccessProblem(dataDirectory: "/srv/data", database: "/srv/data/webui.db", account: app) { files[$0] } == nil)
        // Missing paths are made later: no problem.
        #expect(dataAccessProblem(dataDirectory: "/srv/new", database: nil, account: app) { files[$0] } == nil)
    }
}
