import Foundation
import Glibc

/// A DATA_DIR with a real SQLite `webui.db` recorded at an Alembic revision, beside a stand-in for the installed
/// Open WebUI: a folder holding `open_webui/migrations/versions/` with scripts that chain `revisions` (the last
/// is the head), written the ways Open WebUI's own scripts write them.
struct OpenWebUIDataFixture {
    static let revisions = ["1a0000000001", "2b0000000002", "3c0000000003", "4d0000000004", "5e0000000005", "6f0000000006"]
    static var head: String { revisions.last ?? "" }

    let root: String
    var dataDirectory: String { root + "/data" }
    var databasePath: String { dataDirectory + "/webui.db" }
    var openWebUIDirectory: String { root + "/backend" }
    var backupDirectory: String { dataDirectory + "/backups" }

    /// `revision` nil: a database Open WebUI never migrated (no alembic_version); `rows` notes in a table.
    init(revision: String?, rows: Int = 3) throws {
        root = try makeTemporaryDirectory().path
        let versions = openWebUIDirectory + "/open_webui/migrations/versions"
        try FileManager.default.createDirectory(atPath: versions, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        var previous: String?
        for (index, revision) in Self.revisions.enumerated() {
            let down = previous.map { "'\($0)'" } ?? "None"
            let text = index % 2 == 0
                ? "\"\"\"step \(index)\n\nRevision ID: \(revision)\nRevises: \(previous ?? "")\n\"\"\"\nrevision = '\(revision)'\ndown_revision = \(down)\n"
                : "from typing import Union\n\nrevision: str = \"\(revision)\"\ndown_revision: Union[str, None] = \(down)\n"
            try text.write(toFile: "\(versions)/\(revision)_step_\(index).py", atomically: true, encoding: .utf8)
            previous = revision
        }
        // Open WebUI keeps webui.db in WAL mode (DATABASE_ENABLE_SQLITE_WAL defaults to true).
        var sql = "PRAGMA journal_mode=WAL; CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT);"
        sql += "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(rows)) INSERT INTO note (text) SELECT 'note ' || i FROM n;"
        if let revision {
            sql += "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY); INSERT INTO alembic_version VALUES ('\(revision)');"
        }
        try sqlite(databasePath, sql)
    }

    /// What the program reads: no usage tracking, this DATA_DIR, and (unless told otherwise) these scripts.
    func environment(scripts: Bool = true, _ extra: [String: String] = [:]) -> [String: String] {
        var environment = ["DATA_DIR": dataDirectory, "OPENROUTER_EXTERNAL_USER": "", "ORGANIZATION_NAME": ""]
        if scripts { environment["MAI_ENTRYPOINT_OPENWEBUI_DIR"] = openWebUIDirectory }
        return environment.merging(extra) { $1 }
    }

    func setRevision(_ revision: String) throws {
        try sqlite(databasePath, "UPDATE alembic_version SET version_num = '\(revision)'")
    }

    /// The backup files, oldest first (names sort by time).
    func backups() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: backupDirectory)) ?? []).sorted()
    }

    func notes(_ path: String? = nil) throws -> [String] {
        try sqlite(path ?? databasePath, "SELECT text FROM note ORDER BY id")
    }

    /// Runs the program in the fixture's folder (no .env there) with its environment.
    func run(_ arguments: [String], scripts: Bool = true, _ extra: [String: String] = [:]) throws -> ProgramProcess {
        try runProgram(arguments, environment: environment(scripts: scripts, extra), workingDirectory: root)
    }

    func start(_ arguments: [String], _ extra: [String: String] = [:]) throws -> ProgramProcess {
        try ProgramProcess(arguments, environment: environment(scripts: true, extra), workingDirectory: root)
    }
}

/// The sqlite3 command line tool's output lines.
@discardableResult
func sqlite(_ path: String, _ sql: String) throws -> [String] {
    try command("/usr/bin/sqlite3", [path, sql]).split(separator: "\n").map(String.init)
}

func hostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    gethostname(&buffer, 255)
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
