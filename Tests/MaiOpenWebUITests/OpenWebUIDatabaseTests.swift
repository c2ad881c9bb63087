import Foundation
import MaiOpenWebUI
import MaiSQL
import MaiTestSupport
import MaiUsageTracking
import Testing

/// Open WebUI 0.12.4's `open_webui/env.py` (lines 228–303) as a table: each row is an environment and the
/// DATABASE_URL and DATABASE_SCHEMA that env.py computes for it. scripts/openwebui-database-differential asks
/// the real env.py the same questions.
@Suite("Open WebUI's database rule")
struct OpenWebUIDatabaseTests {
    static let parts = ["DATABASE_TYPE": "postgresql", "DATABASE_USER": "webui", "DATABASE_PASSWORD": "pw",
                        "DATABASE_HOST": "db", "DATABASE_PORT": "5432", "DATABASE_NAME": "openwebui"]

    static func resolve(_ environment: [String: String]) -> OpenWebUIDatabase {
        OpenWebUIDatabase.resolve(environment, workingDirectory: "/work")
    }

    @Test("the DATABASE_* parts win over DATABASE_URL when type, credentials, host, port and name are all set")
    func partsWin() {
        let database = Self.resolve(Self.parts.merging(["DATABASE_URL": "postgresql://other:x@elsewhere/app"]) { $1 })
        #expect(database.url == "postgresql://webui:pw@db:5432/openwebui")
        #expect(database.maskedURL == "postgresql://webui:***@db:5432/openwebui")
    }

    @Test("credentials: a password without a user still counts; neither user nor password leaves the parts unused")
    func credentials() {
        var environment = Self.parts
        environment["DATABASE_USER"] = ""
        #expect(Self.resolve(environment).url == "postgresql://:pw@db:5432/openwebui")
        environment["DATABASE_PASSWORD"] = ""
        #expect(Self.resolve(environment).url == "sqlite:////app/backend/data/webui.db")
        environment["DATABASE_USER"] = "webui"
        #expect(Self.resolve(environment).url == "postgresql://webui@db:5432/openwebui")
        environment["DATABASE_PORT"] = ""
        environment["DATABASE_URL"] = "postgresql://u@h/x"
        #expect(Self.resolve(environment).url == "postgresql://u@h/x")
    }

    @Test("postgres:// becomes postgresql:// wherever it appears, also in a URL built from the parts")
    func postgresRewrite() {
        #expect(Self.resolve(["DATABASE_URL": "postgres://u:pw@h:5432/x"]).url == "postgresql://u:pw@h:5432/x")
        #expect(Self.resolve(Self.parts.merging(["DATABASE_TYPE": "postgres"]) { $1 }).url
            == "postgresql://webui:pw@db:5432/openwebui")
        // Only the exact text is rewritten: Open WebUI leaves postgres+psycopg2:// as it is, and SQLAlchemy then
        // has no "postgres" dialect, so this program refuses it too.
        #expect(Self.resolve(["DATABASE_URL": "postgres+psycopg2://u@h/x"]).url == "postgres+psycopg2://u@h/x")
        #expect(throws: DatabaseError.self) { try DatabaseLocation.resolve(["DATABASE_URL": "postgres+psycopg2://u@h/x"]) }
        // SQLAlchemy's dialect names are case-sensitive: "Can't load plugin: sqlalchemy.dialects:PostgreSQL".
        #expect(throws: DatabaseError.self) { try DatabaseLocation.resolve(["DATABASE_URL": "PostgreSQL://u@h/x"]) }
    }

    @Test("an empty DATABASE_URL is what Open WebUI uses (and fails on): it is refused, not replaced by SQLite")
    func emptyURL() {
        #expect(Self.resolve(["DATABASE_URL": ""]).url == "")
        #expect(throws: DatabaseError.self) { try DatabaseLocation.resolve(["DATABASE_URL": ""]) }
    }

    @Test("DATA_DIR is made absolute against the working directory, with symbolic links resolved")
    func dataDirectory() throws {
        let base = try temporaryDirectory()
        let real = base + "/real"
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: base + "/link", withDestinationPath: "real")
        func url(_ dataDir: String) -> String {
            OpenWebUIDatabase.resolve(["DATA_DIR": dataDir], workingDirectory: base).url
        }
        #expect(url("link") == "sqlite:///\(real)/webui.db")
        #expect(url("link/missing/../data/") == "sqlite:///\(real)/data/webui.db")
        #expect(url("./real//x/.") == "sqlite:///\(real)/x/webui.db")
        #expect(url("") == "sqlite:///\(base)/webui.db")
        #expect(url("/") == "sqlite://///webui.db")
        #expect(try DatabaseLocation.locate(OpenWebUIDatabase.resolve(["DATA_DIR": "link"], workingDirectory: base))
            == .sqlite(path: real + "/webui.db"))
    }

    @Test("FROM_INIT_PY=true (open-webui serve): DATA_DIR as written, default open_webui/data")
    func fromInitPy() {
        #expect(Self.resolve(["FROM_INIT_PY": "True"]).url == "sqlite:////app/backend/open_webui/data/webui.db")
        #expect(Self.resolve(["FROM_INIT_PY": "true", "DATA_DIR": "./data//x/"]).url == "sqlite:///data/x/webui.db")
        #expect(Self.resolve(["FROM_INIT_PY": "yes", "DATA_DIR": "data"]).url == "sqlite:////work/data/webui.db")
    }

    @Test("DATABASE_TYPE=sqlite+sqlcipher names $DATA_DIR/webui.db unless DATABASE_URL is set; it is refused")
    func sqlcipher() {
        let database = Self.resolve(["DATABASE_TYPE": "sqlite+sqlcipher", "DATA_DIR": "/d", "DATABASE_URL": ""])
        #expect(database.url == "sqlite+sqlcipher:////d/webui.db")
        #expect(Self.resolve(["DATABASE_TYPE": "sqlite+sqlcipher", "DATABASE_URL": "sqlite:////x.db"]).url == "sqlite:////x.db")
        do {
            _ = try DatabaseLocation.locate(database)
            Issue.record("sqlcipher accepted")
        } catch {
            #expect(error.description == "SQLCipher-encrypted SQLite (sqlite+sqlcipher) is not supported for usage tracking")
        }
    }

    @Test("DATABASE_SCHEMA: set and not empty, it is the PostgreSQL schema; empty means unset, as in Open WebUI")
    func schema() throws {
        #expect(Self.resolve(["DATABASE_SCHEMA": "tenant_a"]).schema == "tenant_a")
        #expect(Self.resolve(["DATABASE_SCHEMA": ""]).schema == nil)
        let location = try DatabaseLocation.resolve(Self.parts.merging(["DATABASE_SCHEMA": "Tenant \"B\""]) { $1 })
        guard case .postgres(let target) = location else {
            Issue.record("resolved to \(location)")
            return
        }
        #expect(target.schema == "Tenant \"B\"")
    }

    @Test("status names the database: the URL with the password masked, and the schema when there is one")
    func statusLines() {
        #expect(Self.resolve(Self.parts.merging(["DATABASE_SCHEMA": "s1"]) { $1 }).lines
            == ["database: postgresql://webui:***@db:5432/openwebui", "database_schema: s1"])
        // The rest of the line is the URL; quoted (JSON-style) only when it is empty, has a control character, or
        // begins or ends with a space or a quote.
        #expect(Self.resolve(["DATA_DIR": "/srv/my data"]).lines == ["database: sqlite:////srv/my data/webui.db"])
        #expect(Self.resolve(["DATABASE_URL": ""]).lines == ["database: \"\""])
        #expect(Self.resolve(["DATABASE_URL": "sqlite:////a\nb "]).lines == ["database: \"sqlite:////a\\nb \""])
    }
}
