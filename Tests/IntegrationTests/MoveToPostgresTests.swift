import Foundation
import Glibc
import MaiTestSupport
import Testing

/// Issue 21: `move-to-postgresql` copies webui.db into PostgreSQL, converted by the target's types, verified, in one
/// transaction; refuses what would lose data. The schema here has Open WebUI's kinds of columns (JSON, BOOLEAN,
/// BIGINT, a self-referencing table, a serial id, binary data, a timestamp) on both sides at one Alembic revision,
/// as Open WebUI's migrations make it on each; the real Open WebUI's journey is scripts/e2e-openwebui's `move`.
@Suite("move-to-postgresql", .serialized, .enabled(if: ClusterForTests.enabled))
struct MoveToPostgresTests {
    static let revision = "3781e22d8b01"

    static let sqliteSchema = """
        CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
        INSERT INTO alembic_version VALUES ('\(revision)');
        CREATE TABLE user (id VARCHAR NOT NULL PRIMARY KEY, name VARCHAR, email VARCHAR, settings JSON, created_at BIGINT, is_active BOOLEAN);
        CREATE TABLE auth (id VARCHAR NOT NULL PRIMARY KEY, email VARCHAR, password TEXT, active BOOLEAN);
        CREATE TABLE chat (id VARCHAR NOT NULL PRIMARY KEY, user_id VARCHAR, title TEXT, chat JSON, archived BOOLEAN, created_at BIGINT);
        CREATE TABLE folder (id VARCHAR NOT NULL PRIMARY KEY, parent_id VARCHAR REFERENCES folder (id), user_id VARCHAR REFERENCES user (id), name TEXT, meta JSON);
        CREATE TABLE config (id INTEGER NOT NULL PRIMARY KEY, data JSON NOT NULL, version INTEGER NOT NULL, created_at DATETIME);
        CREATE TABLE file (id VARCHAR NOT NULL PRIMARY KEY, content BLOB, created_at BIGINT);
        """

    static let postgresSchema = """
        CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
        INSERT INTO alembic_version VALUES ('\(revision)');
        CREATE TABLE "user" (id VARCHAR NOT NULL PRIMARY KEY, name VARCHAR, email VARCHAR, settings JSON, created_at BIGINT, is_active BOOLEAN);
        CREATE TABLE auth (id VARCHAR NOT NULL PRIMARY KEY, email VARCHAR, password TEXT, active BOOLEAN);
        CREATE TABLE chat (id VARCHAR NOT NULL PRIMARY KEY, user_id VARCHAR, title TEXT, chat JSON, archived BOOLEAN, created_at BIGINT);
        CREATE TABLE folder (id VARCHAR NOT NULL PRIMARY KEY, parent_id VARCHAR REFERENCES folder (id), user_id VARCHAR REFERENCES "user" (id), name TEXT, meta JSON);
        CREATE TABLE config (id SERIAL PRIMARY KEY, data JSON NOT NULL, version INTEGER NOT NULL, created_at TIMESTAMP WITHOUT TIME ZONE);
        CREATE TABLE file (id VARCHAR NOT NULL PRIMARY KEY, content BYTEA, created_at BIGINT);
        """

    /// Rows with what breaks naive copies: non-ASCII, newlines, tabs and backslashes, JSON escapes, 0/1
    /// booleans, NULLs, bytes with NUL, a folder inserted before its parent, ids with gaps.
    static let rows = """
        INSERT INTO user VALUES ('u1', 'Zoë Ångström', 'zoe@example.org', '{"ui": {"theme": "dark"}, "emoji": "\\ud83d\\ude00"}', 1717000000, 1);
        INSERT INTO user VALUES ('u2', 'Tab	and\\back\\slash', 'two@example.org', NULL, 1717000001, 0);
        INSERT INTO auth VALUES ('u1', 'zoe@example.org', '$2b$12$abcdefghijklmnopqrstuv', 1), ('u2', 'two@example.org', '$2b$12$zyxwvutsrqponmlkjihgfe', 0);
        INSERT INTO chat VALUES ('c1', 'u1', 'Grüße, 你好', '{"messages": [{"role": "user", "content": "line one\\nline two\\t\\"quoted\\" \\\\ done"}]}', 0, 1717000100);
        INSERT INTO chat VALUES ('c2', 'u2', 'Plain
        second line', '[]', 1, 1717000200);
        INSERT INTO folder VALUES ('f2', 'f1', 'u1', 'child before its parent', '{}');
        INSERT INTO folder VALUES ('f1', NULL, 'u1', 'parent', NULL);
        INSERT INTO config VALUES (1, '{"version": 0}', 0, '2024-05-01 10:00:00.123456'), (7, '{"ui": {}}', 1, '2024-05-02T11:30:00');
        INSERT INTO file VALUES ('b1', X'00FF10275C0A', 1717000300);
        """

    /// A webui.db in its own DATA_DIR, with the usage tables and the organization row that a run makes.
    struct Source {
        let data = try! SQLiteFixture()
        var environment: [String: String] { ["DATA_DIR": data.directory] }

        init(extra: String = "") throws {
            try command("/usr/bin/sqlite3", [data.path, MoveToPostgresTests.sqliteSchema + MoveToPostgresTests.rows + extra])
            let initialized = try runProgram(["init-db"], environment: trackingEnvironment.merging(environment) { $1 })
            #expect(initialized.process.terminationStatus == 0, "\(initialized.stderr)")
            // A row as the app records usage (its shape: string id, DATE text, epoch seconds).
            try command("/usr/bin/sqlite3", [data.path, """
                INSERT INTO client_user_daily_usage VALUES ('org-acme:u1:2024-05-01', 'org-acme', 'u1', 'u1@acme', '2024-05-01',
                  1200, 3, 0.0125, 0.01625, 1714521600, 1714525200)
                """])
        }

        var digest: String { (try? command("/usr/bin/sha256sum", [data.path])) ?? "" }
    }

    /// A database holding the schema, as Open WebUI's first start leaves it (its config defaults seeded).
    static func target(seeded: Bool = true) throws -> String {
        let url = try ClusterForTests.freshDatabase()
        try ClusterForTests.psql(url, postgresSchema + (seeded ? "INSERT INTO config (data, version) VALUES ('{\"seeded\": true}', 0);" : ""))
        return url
    }

    /// SQL that adds `count` chats `PREFIX-1…` of user u1, each with JSON holding `randomBytes` random bytes in hex.
    static func chats(_ prefix: String, count: Int, randomBytes: Int) -> String {
        """
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(count))
        INSERT INTO chat SELECT '\(prefix)-' || i, 'u1', '\(prefix)', '{"text": "' || hex(randomblob(\(randomBytes))) || '"}', 0, i FROM n;
        """
    }

    static func move(_ source: Source, _ arguments: [String], environment: [String: String] = [:]) throws -> ProgramProcess {
        try runProgram(["move-to-postgresql"] + arguments, environment: source.environment.merging(environment) { $1 }, timeout: .seconds(60))
    }

    static func counts(_ url: String) throws -> [String] {
        try ClusterForTests.psql(url, """
            SELECT string_agg(t || '=' || n, ',' ORDER BY t) FROM (
              SELECT 'user' AS t, COUNT(*) AS n FROM "user" UNION ALL SELECT 'auth', COUNT(*) FROM auth
              UNION ALL SELECT 'chat', COUNT(*) FROM chat UNION ALL SELECT 'folder', COUNT(*) FROM folder
              UNION ALL SELECT 'config', COUNT(*) FROM config UNION ALL SELECT 'file', COUNT(*) FROM file) c
            """)
    }

    @Test("every row and value arrives as Open WebUI wrote it, the seeded config is replaced, ids continue, webui.db is untouched")
    func movesEverything() throws {
        let source = try Source()
        let before = source.digest
        let url = try Self.target()
        let moved = try Self.move(source, ["--to", url])
        try #require(moved.process.terminationStatus == 0, "\(moved.stderr)")
        #expect(source.digest == before)

        // Values as a reader of the target sees them.
        #expect(try ClusterForTests.psql(url, "SELECT name || '|' || is_active FROM \"user\" ORDER BY id") == ["Zoë Ångström|true", "Tab\tand\\back\\slash|false"])
        #expect(try ClusterForTests.psql(url, "SELECT settings->'ui'->>'theme', settings->>'emoji' FROM \"user\" WHERE id = 'u1'") == ["dark|😀"])
        #expect(try ClusterForTests.psql(url, "SELECT chat->'messages'->0->>'content' FROM chat WHERE id = 'c1'") == ["line one", "line two\t\"quoted\" \\ done"])
        #expect(try ClusterForTests.psql(url, "SELECT title FROM chat WHERE id = 'c2'") == ["Plain", "second line"])
        #expect(try ClusterForTests.psql(url, "SELECT archived FROM chat ORDER BY id") == ["f", "t"])
        #expect(try ClusterForTests.psql(url, "SELECT encode(content, 'hex') FROM file") == ["00ff10275c0a"])
        #expect(try ClusterForTests.psql(url, "SELECT id || ' ' || created_at FROM config ORDER BY id") == ["1 2024-05-01 10:00:00.123456", "7 2024-05-02 11:30:00"])
        #expect(try ClusterForTests.psql(url, "SELECT parent_id FROM folder WHERE id = 'f2'") == ["f1"])
        // The usage tables, made in the app's shape on the target, with their rows.
        #expect(try ClusterForTests.psql(url, "SELECT name FROM client_organizations") == ["Acme"])
        #expect(try ClusterForTests.psql(url, "SELECT user_id || ' ' || usage_date || ' ' || total_tokens FROM client_user_daily_usage") == ["u1 2024-05-01 1200"])
        #expect(try ClusterForTests.psql(url, "SELECT COUNT(*) FROM mai_schema_migrations") == (try source.data.query("SELECT COUNT(*) FROM mai_schema_migrations")))
        // The sequence continues after the largest id copied.
        #expect(try ClusterForTests.psql(url, "INSERT INTO config (data, version) VALUES ('{}', 2) RETURNING id") == ["8"])
        // Alembic's record is compared, not copied.
        #expect(try ClusterForTests.psql(url, "SELECT version_num FROM alembic_version") == [Self.revision])

        let lines = moved.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("table ") == true, "\(moved.stdout)")
        #expect(lines.contains { $0.hasPrefix("chat ") && $0.contains(" 2  ") && $0.hasSuffix("  ok") }, "\(moved.stdout)")
        #expect(lines.contains { $0.hasPrefix("moved ") && $0.contains("verified in") }, "\(moved.stdout)")
        #expect(lines.contains { $0.hasPrefix("replaced what the target held: 1 rows in config") }, "\(moved.stdout)")
        #expect(lines.last?.hasPrefix("next: set DATABASE_URL") == true, "\(moved.stdout)")
        #expect(moved.stderrLines.contains { $0.contains("info: moving ") && $0.hasSuffix(" tables") }, "\(moved.stderr)")
        let password = try #require(URLComponents(string: url)?.password)
        #expect(!(moved.stdout + moved.stderr).contains(password))
    }

    @Test("--to-file (a Docker secret, its newline dropped) and --log-format json: every line a JSON object, no password in any")
    func secretFileAndJSON() throws {
        let source = try Source()
        let url = try Self.target()
        let secret = try makeTemporaryDirectory().appendingPathComponent("database_url").path
        try (url + "\n").write(toFile: secret, atomically: true, encoding: .utf8)
        let moved = try Self.move(source, ["--to-file", secret, "--log-format", "json"])
        #expect(moved.process.terminationStatus == 0, "\(moved.stderr)")
        #expect(!moved.stderrLines.isEmpty && moved.stderrLines.allSatisfy { $0.hasPrefix("{") }, "\(moved.stderr)")
        #expect(moved.stderr.contains("moving "))
        let password = try #require(URLComponents(string: url)?.password)
        #expect(!(moved.stdout + moved.stderr).contains(password))
        #expect(try ClusterForTests.psql(url, "SELECT COUNT(*) FROM chat") == ["2"])

        let missing = try Self.move(source, ["--to-file", secret + ".missing", "--log-format", "json"])
        #expect(missing.process.terminationStatus == 1)
        #expect(missing.stderrLines.last?.hasPrefix("{") == true && missing.stderr.contains("--to-file"), "\(missing.stderr)")
    }

    @Test("on a terminal, progress is one live line rewritten in place, not log lines")
    func liveLine() throws {
        let source = try Source()
        let url = try Self.target()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [child("with_pty.py"), programPath, "move-to-postgresql", "--to", url]
        process.environment = ProcessInfo.processInfo.environment.merging(source.environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(text.contains("exit 0"), "\(text)")
        #expect(text.contains("\r\u{1B}[Kmoving "), "\(text)")
        #expect(!text.contains("info: moving "), "\(text)")
    }

    @Test("a target that holds users is refused and left as it was; --replace empties it and moves, in one transaction")
    func targetWithUsers() throws {
        let source = try Source()
        let url = try Self.target()
        try ClusterForTests.psql(url, "INSERT INTO \"user\" (id, name) VALUES ('someone', 'Already here'); INSERT INTO chat (id, user_id, title) VALUES ('x', 'someone', 'kept')")
        let before = try Self.counts(url)
        let refused = try Self.move(source, ["--to", url])
        #expect(refused.process.terminationStatus == 1)
        #expect(refused.stderr.contains("refusing to move: the target already holds users (1 rows in \"chat\", 1 rows in \"user\")"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--replace"))
        #expect(try Self.counts(url) == before)

        let replaced = try Self.move(source, ["--to", url, "--replace"])
        #expect(replaced.process.terminationStatus == 0, "\(replaced.stderr)")
        #expect(try ClusterForTests.psql(url, "SELECT id FROM \"user\" ORDER BY id") == ["u1", "u2"])
        #expect(try ClusterForTests.psql(url, "SELECT title FROM chat WHERE id = 'x'") == [])
    }

    @Test("invalid JSON in webui.db is an error naming its table, column and row; nothing is written and webui.db is unchanged")
    func invalidJSON() throws {
        let source = try Source(extra: "INSERT INTO chat VALUES ('c-broken', 'u1', 'broken', '{\"messages\": [', 0, 1);")
        let before = source.digest
        let url = try Self.target()
        let countsBefore = try Self.counts(url)
        let moved = try Self.move(source, ["--to", url])
        #expect(moved.process.terminationStatus == 1)
        #expect(moved.stderr.contains("cannot move table \"chat\", column \"chat\", row id=c-broken: invalid JSON"), "\(moved.stderr)")
        #expect(try Self.counts(url) == countsBefore)
        #expect(source.digest == before)
        #expect(try source.data.query("SELECT chat FROM chat WHERE id = 'c-broken'") == ["{\"messages\": ["])
    }

    @Test("the verification catches a target that stores something else than it was sent (a trigger here): exit 1, rolled back")
    func verificationFails() throws {
        let source = try Source()
        let url = try Self.target()
        try ClusterForTests.psql(url, """
            CREATE FUNCTION retitle() RETURNS trigger AS $$ BEGIN NEW.title := NEW.title || ' (edited)'; RETURN NEW; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER retitle BEFORE INSERT ON chat FOR EACH ROW EXECUTE FUNCTION retitle();
            """)
        let moved = try Self.move(source, ["--to", url])
        #expect(moved.process.terminationStatus == 1)
        #expect(moved.stderr.contains("verification failed for chat (sent 2 rows, digest "), "\(moved.stderr)")
        #expect(!moved.stderr.contains("verification failed for user"))
        #expect(try Self.counts(url) == ["auth=0,chat=0,config=1,file=0,folder=0,user=0"])
    }

    @Test("refused: another revision, a target without the schema (with what to do), a table the target lacks")
    func refusals() throws {
        let source = try Source()
        let behind = try Self.target()
        try ClusterForTests.psql(behind, "UPDATE alembic_version SET version_num = 'ffffffffffff'")
        let other = try Self.move(source, ["--to", behind])
        #expect(other.process.terminationStatus == 1)
        #expect(other.stderr.contains("the target is at Open WebUI revision ffffffffffff, webui.db at revision \(Self.revision)"), "\(other.stderr)")

        let empty = try ClusterForTests.freshDatabase()
        let none = try Self.move(source, ["--to", empty])
        #expect(none.process.terminationStatus == 1)
        #expect(none.stderr.contains("has no Open WebUI schema"), "\(none.stderr)")
        #expect(none.stderr.contains("--bootstrap --"))
        #expect(try ClusterForTests.psql(empty, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'") == ["0"])

        let lacking = try Self.target()
        try ClusterForTests.psql(lacking, "DROP TABLE file")
        let missing = try Self.move(source, ["--to", lacking])
        #expect(missing.process.terminationStatus == 1)
        #expect(missing.stderr.contains("the target has no table \"file\""), "\(missing.stderr)")
    }

    @Test("refused while a mai-entrypoint run holds DATA_DIR; usage errors for a missing or doubled target")
    func refusedUnderARun() throws {
        let source = try Source()
        let url = try Self.target()
        let run = try ProgramProcess(["--", "sleep", "30"], environment: source.environment)
        try run.waitForLog("child started")
        let refused = try Self.move(source, ["--to", url])
        #expect(refused.process.terminationStatus == 1)
        #expect(refused.stderr.contains("refusing to move: a mai-entrypoint run"), "\(refused.stderr)")
        try run.signal(SIGTERM)
        try run.wait()
        #expect(try Self.counts(url) == ["auth=0,chat=0,config=1,file=0,folder=0,user=0"])

        #expect(try Self.move(source, []).process.terminationStatus == 2)
        #expect(try Self.move(source, ["--to", url, "--to-file", "/nonexistent"]).process.terminationStatus == 2)
        #expect(try Self.move(source, ["--to", "sqlite:///tmp/x.db"]).process.terminationStatus == 2)
    }

    @Test("TERM during the copy: exit 143, the target exactly as it was")
    func stoppedMidCopy() throws {
        // About 60 MB of chat JSON: long enough to be caught in the middle.
        let source = try Source(extra: Self.chats("bulk", count: 30000, randomBytes: 1000))
        let url = try Self.target()
        let before = try Self.counts(url)
        let move = try ProgramProcess(["move-to-postgresql", "--to", url], environment: source.environment)
        try move.waitForLog("moving ", timeout: .seconds(30))
        try move.signal(SIGTERM)
        #expect(try move.wait(timeout: .seconds(15)) == 143, "\(move.stderr)")
        #expect(move.stderr.contains("move stopped by TERM: rolled back"), "\(move.stderr)")
        #expect(try Self.counts(url) == before)
    }

    @Test("large values (chat JSON) are stored with lz4 TOAST compression when the server has it, and read back the same")
    func lz4() throws {
        let source = try Source(extra: """
            INSERT INTO chat VALUES ('big', 'u1', 'big', '{"text": "' || replace(hex(zeroblob(20000)), '00', 'Grüße ') || '"}', 0, 1);
            """)
        let url = try Self.target()
        let moved = try Self.move(source, ["--to", url])
        #expect(moved.process.terminationStatus == 0, "\(moved.stderr)")
        #expect(moved.stdout.contains("stored with lz4 TOAST compression"), "\(moved.stdout)")
        #expect(try ClusterForTests.psql(url, "SELECT pg_column_compression(chat) FROM chat WHERE id = 'big'") == ["lz4"])
        #expect(try ClusterForTests.psql(url, "SELECT octet_length(chat::text) FROM chat WHERE id = 'big'")
                == (try source.data.query("SELECT length(CAST(chat AS BLOB)) FROM chat WHERE id = 'big'")))
    }

    @Test("a slow target (a trigger that sleeps per row): a progress line every 5 s, with rows and MB per second")
    func progressOfASlowCopy() throws {
        let source = try Source(extra: Self.chats("slow", count: 48, randomBytes: 5000))
        let url = try Self.target()
        try ClusterForTests.psql(url, """
            CREATE FUNCTION slowly() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(0.25); RETURN NEW; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER slowly BEFORE INSERT ON chat FOR EACH ROW EXECUTE FUNCTION slowly();
            """)
        let moved = try Self.move(source, ["--to", url])
        #expect(moved.process.terminationStatus == 0, "\(moved.stderr)")
        let lines = moved.stderrLines.filter { $0.contains("info: moving chat: ") }
        #expect(!lines.isEmpty && lines.allSatisfy { $0.contains(" rows/s, ") && $0.hasSuffix(" MB/s") }, "\(moved.stderr)")
    }

    @Test("--bootstrap: the server command runs with DATABASE_URL set to the target until ready, is stopped, then the move runs")
    func bootstrap() throws {
        let source = try Source()
        let url = try ClusterForTests.freshDatabase()
        let server = try StandInWebServer()
        let schema = try makeTemporaryDirectory().appendingPathComponent("schema.sql").path
        try Self.postgresSchema.write(toFile: schema, atomically: true, encoding: .utf8)
        // As Open WebUI does: its migrations make the schema at start-up, then it serves /health.
        let starter = "psql \"$DATABASE_URL\" -X -q -v ON_ERROR_STOP=1 -f \(schema) && echo \"parts: ${DATABASE_HOST:-none}\" && exec \"$@\""
        let moved = try Self.move(source, ["--to", url, "--bootstrap", "--", "sh", "-c", starter, "sh"] + server.command(),
                                  environment: server.environment.merging(["DATABASE_HOST": "sqlite-parts-are-not-passed"]) { $1 })
        #expect(moved.process.terminationStatus == 0, "\(moved.stderr)")
        // The server's output goes to stderr: stdout is the report alone.
        #expect(moved.stderr.contains("parts: none"), "\(moved.stderr)")
        #expect(moved.stdout.hasPrefix("table "), "\(moved.stdout)")
        #expect(moved.stderr.contains("Open WebUI's schema made in"), "\(moved.stderr)")
        #expect(server.received.first?.hasPrefix("TERM ready=True") == true, "\(server.received)")
        #expect(try ClusterForTests.psql(url, "SELECT id FROM \"user\" ORDER BY id") == ["u1", "u2"])

        // A TERM while the server starts ends the command: 143, nothing moved.
        let stopped = try ClusterForTests.freshDatabase()
        let slow = try StandInWebServer()
        let term = try ProgramProcess(["move-to-postgresql", "--to", stopped, "--bootstrap", "--", "sh", "-c", starter, "sh"] + slow.command(delay: 30),
                                      environment: source.environment.merging(slow.environment) { $1 }.merging(["MAI_ENTRYPOINT_STARTUP_GRACE": "0"]) { $1 })
        try term.waitForLog("child started")
        try slow.waitUntilStarted()
        try term.signal(SIGTERM)
        #expect(try term.wait(timeout: .seconds(20)) == 143, "\(term.stderr)")
        #expect(try ClusterForTests.psql(stopped, "SELECT COUNT(*) FROM \"user\"") == ["0"])

        let failing = try ClusterForTests.freshDatabase()
        let failed = try Self.move(source, ["--to", failing, "--bootstrap", "--", "sh", "-c", "exit 3"], environment: server.environment)
        #expect(failed.process.terminationStatus == 1)
        #expect(failed.stderr.contains("without making Open WebUI's schema"), "\(failed.stderr)")
    }
}

/// Issue 21, point 2: a run on a PostgreSQL database without users, while webui.db in DATA_DIR holds them, would
/// start an empty server: one warning (with the count and the command), or exit 1 with --refuse-empty-database.
@Suite("never an empty server by mistake", .serialized, .enabled(if: ClusterForTests.enabled))
struct EmptyServerTests {
    static func run(_ source: MoveToPostgresTests.Source, _ url: String, _ extra: [String: String] = [:]) throws -> (ProgramProcess, Bool) {
        let marker = try makeTemporaryDirectory().appendingPathComponent("started").path
        let run = try runProgram(["--", "touch", marker], environment: source.environment.merging(["DATABASE_URL": url]) { $1 }.merging(extra) { $1 })
        return (run, FileManager.default.fileExists(atPath: marker))
    }

    @Test("a database without Open WebUI's tables, then one without users: a warning naming webui.db's 2 users and the command; the server starts")
    func warns() throws {
        let source = try MoveToPostgresTests.Source()
        let (bare, started) = try Self.run(source, try ClusterForTests.freshDatabase())
        #expect(bare.process.terminationStatus == 0, "\(bare.stderr)")
        #expect(started)
        let warnings = bare.stderrLines.filter { $0.contains("the server would start empty") }
        #expect(warnings.count == 1, "\(bare.stderr)")
        #expect(warnings.first?.contains("warning") == true)
        #expect(warnings.first?.contains("has no Open WebUI tables yet while \(source.data.path) holds 2 users") == true, "\(warnings)")
        #expect(warnings.first?.contains("mai-entrypoint move-to-postgresql --to-file") == true)

        let (noUsers, _) = try Self.run(source, try MoveToPostgresTests.target())
        #expect(noUsers.stderrLines.contains { $0.contains("has no users while \(source.data.path) holds 2 users") }, "\(noUsers.stderr)")
    }

    @Test("--refuse-empty-database (MAI_ENTRYPOINT_REFUSE_EMPTY_DATABASE): exit 1 before the server starts")
    func refuses() throws {
        let source = try MoveToPostgresTests.Source()
        let (refused, started) = try Self.run(source, try ClusterForTests.freshDatabase(), ["MAI_ENTRYPOINT_REFUSE_EMPTY_DATABASE": "1"])
        #expect(refused.process.terminationStatus == 1)
        #expect(!started)
        #expect(refused.stderrLines.contains { $0.contains("not starting the server:") && $0.contains("holds 2 users") }, "\(refused.stderr)")
    }

    @Test("after the move, or with no users in webui.db: no warning")
    func quietWhenMoved() throws {
        let source = try MoveToPostgresTests.Source()
        let url = try MoveToPostgresTests.target()
        let moved = try MoveToPostgresTests.move(source, ["--to", url])
        try #require(moved.process.terminationStatus == 0, "\(moved.stderr)")
        let (after, started) = try Self.run(source, url, ["MAI_ENTRYPOINT_REFUSE_EMPTY_DATABASE": "1"])
        #expect(after.process.terminationStatus == 0, "\(after.stderr)")
        #expect(started)
        #expect(!after.stderr.contains("would start empty"))

        try command("/usr/bin/sqlite3", [source.data.path, "DELETE FROM user"])
        let (fresh, _) = try Self.run(source, try ClusterForTests.freshDatabase(), ["MAI_ENTRYPOINT_REFUSE_EMPTY_DATABASE": "1"])
        #expect(fresh.process.terminationStatus == 0, "\(fresh.stderr)")
    }
}
