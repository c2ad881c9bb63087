import Foundation
import MaiOpenWebUI
import MaiSQL
import MaiUsageTracking
import Testing

/// The revision graph of Open WebUI's Alembic scripts, read from their text.
@Suite("Open WebUI's migration scripts")
struct MigrationScriptsTests {
    static func scripts(_ files: [(String, String)]) -> MigrationScripts {
        MigrationScripts.parse(files.map { (name: $0.0, text: $0.1) }, directory: "/versions")
    }

    /// How 0.12.4's scripts write it: a docstring naming the revisions, then typed or untyped assignments.
    static let first = """
        \"\"\"Init

        Revision ID: 7e5b5dc7342b
        Revises:
        Create Date: 2024-06-24 13:15:33.808998

        \"\"\"
        from typing import Sequence, Union

        revision: str = '7e5b5dc7342b'
        down_revision: Union[str, None] = None
        branch_labels: Union[str, Sequence[str], None] = None
        """
    static let second = """
        \"\"\"Revision ID: ca81bd47c050
        Revises: 7e5b5dc7342b
        \"\"\"
        revision = "ca81bd47c050"
        down_revision = "7e5b5dc7342b"  # the first one

        def upgrade():
            revision = 'not-top-level'
        """

    @Test("both assignment forms, None for the first script, a trailing comment, nested assignments ignored")
    func forms() {
        let graph = Self.scripts([("7e5b_init.py", Self.first), ("ca81_second.py", Self.second)])
        #expect(graph.revisions == ["7e5b5dc7342b": [], "ca81bd47c050": ["7e5b5dc7342b"]])
        #expect(graph.heads == ["ca81bd47c050"])
        #expect(graph.unreadable.isEmpty)
    }

    @Test("a merge names two down revisions (a tuple, a list, over several lines); its revision is the one head")
    func merges() {
        let graph = Self.scripts([
            ("a.py", "revision = 'a'\ndown_revision = None\n"),
            ("b.py", "revision: str = 'b'\ndown_revision: str | None = 'a'\n"),
            ("c.py", "revision = 'c'\ndown_revision = 'a'\n"),
            ("d.py", "revision = 'd'\ndown_revision = ('b', 'c')\n"),
            ("e.py", "revision = 'e'\ndown_revision = [\n    \"d\",\n]\n"),
        ])
        #expect(graph.revisions["d"] == ["b", "c"])
        #expect(graph.revisions["e"] == ["d"])
        #expect(graph.heads == ["e"])
    }

    @Test("scripts that branch without a merge have two heads, and a database at both is up to date")
    func branches() {
        let graph = Self.scripts([("a.py", "revision = 'a'\ndown_revision = None"), ("b.py", "revision = 'b'\ndown_revision = 'a'"),
                                  ("c.py", "revision = 'c'\ndown_revision = 'a'")])
        #expect(graph.heads == ["b", "c"])
        #expect(graph.state(of: ["b", "c"]) == .upToDate)
        #expect(graph.state(of: ["b"]) == .pending(from: ["b"]))
    }

    @Test("odd files: no revision, a down revision that is a name, an empty file, an unterminated string")
    func oddFiles() {
        let graph = Self.scripts([
            ("a.py", "revision = 'a'\ndown_revision = None\n"),
            ("notes.py", "# helpers shared by the migrations\nimport sqlalchemy\n"),
            ("computed.py", "revision = 'x'\ndown_revision = PREVIOUS\n"),
            ("empty.py", ""),
            ("broken.py", "revision = 'y\ndown_revision = 'a'\n"),
        ])
        #expect(graph.revisions == ["a": []])
        #expect(graph.unreadable == ["broken.py", "computed.py", "empty.py", "notes.py"])
    }

    @Test("where a database stands: no table, the head, behind, a revision no script names")
    func states() {
        let graph = Self.scripts([("7e5b_init.py", Self.first), ("ca81_second.py", Self.second)])
        #expect(graph.state(of: nil) == .fresh)
        #expect(graph.state(of: []) == .fresh)
        #expect(graph.state(of: ["ca81bd47c050"]) == .upToDate)
        #expect(graph.state(of: ["7e5b5dc7342b"]) == .pending(from: ["7e5b5dc7342b"]))
        #expect(graph.state(of: ["ffffffffffff"]) == .unknown(["ffffffffffff"]))
    }

    @Test("read from a folder: only *.py, not __init__.py or hidden files; located under the folder holding open_webui/")
    func folder() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("mai-scripts-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let versions = base + "/open_webui/migrations/versions"
        try FileManager.default.createDirectory(atPath: versions + "/__pycache__", withIntermediateDirectories: true)
        try "revision = 'a'\ndown_revision = None\n".write(toFile: versions + "/a_first.py", atomically: true, encoding: .utf8)
        try "revision = 'b'\ndown_revision = 'a'\n".write(toFile: versions + "/b_second.py", atomically: true, encoding: .utf8)
        try "revision = 'z'\ndown_revision = 'b'\n".write(toFile: versions + "/.z_hidden.py", atomically: true, encoding: .utf8)
        try "revision = 'z'\ndown_revision = 'b'\n".write(toFile: versions + "/b_second.pyc", atomically: true, encoding: .utf8)
        try "".write(toFile: versions + "/__init__.py", atomically: true, encoding: .utf8)

        #expect(try MigrationScripts.locate(given: nil, workingDirectory: base).get() == versions)
        #expect(try MigrationScripts.locate(given: base + "/", workingDirectory: "/nowhere").get() == versions)
        let read = try MigrationScripts.read(versionsDirectory: versions)
        #expect(read.heads == ["b"])
        #expect(read.unreadable.isEmpty)

        guard case .failure(let failure) = MigrationScripts.locate(given: nil, workingDirectory: base + "/missing") else {
            Issue.record("found scripts in a folder without them")
            return
        }
        #expect(failure.tried == [base + "/missing/open_webui/migrations/versions", "/app/backend/open_webui/migrations/versions"])
        #expect(throws: MigrationScriptsError.self) { try MigrationScripts.read(versionsDirectory: base + "/none") }
    }
}
