import Foundation
import MaiOpenWebUI
import MaiSQL
import MaiUsageTracking
import Testing

@Suite("Database location")
struct DatabaseLocationTests {
    @Test("SQLite URLs: three slashes for a relative path, four for an absolute one, any +driver but sqlcipher")
    func sqliteURLs() throws {
        #expect(try DatabaseLocation.resolve(["DATABASE_URL": "sqlite:///data/webui.db"]) == .sqlite(path: "data/webui.db"))
        #expect(try DatabaseLocation.resolve(["DATABASE_URL": "sqlite:////app/backend/data/webui.db"]) == .sqlite(path: "/app/backend/data/webui.db"))
        #expect(try DatabaseLocation.resolve(["DATABASE_URL": "sqlite+pysqlite:////srv/x.db?timeout=20"]) == .sqlite(path: "/srv/x.db"))
        #expect(throws: DatabaseError.self) { try DatabaseLocation.resolve(["DATABASE_URL": "sqlite+sqlcipher:///data/webui.db"]) }
        #expect(throws: DatabaseError.self) { try DatabaseLocation.resolve(["DATABASE_URL": "sqlite://"]) }
        #expect(throws: DatabaseError.self) { try DatabaseLocation.resolve(["DATABASE_URL": "sqlite:///:memory:"]) }
    }

    @Test("PostgreSQL URLs: postgresql://, postgres:// and +driver all reach libpq as SQLAlchemy reads them; shown as written")
    func postgresURLs() throws {
        for url in ["postgresql://u:pw@db:5432/webui", "postgres://u:pw@db:5432/webui", "postgresql+psycopg2://u:pw@db:5432/webui"] {
            let location = try DatabaseLocation.resolve(["DATABASE_URL": url])
            guard case .postgres(let target) = location else {
                Issue.record("\(url) resolved to \(location)")
                continue
            }
            #expect(target.parameters == [.init(keyword: "host", value: "db"), .init(keyword: "dbname", value: "webui"),
                                          .init(keyword: "user", value: "u"), .init(keyword: "password", value: "pw"),
                                          .init(keyword: "port", value: "5432")])
            #expect(target.display == (url.hasPrefix("postgresql+psycopg2") ? "postgresql+psycopg2" : "postgresql") + "://u:***@db:5432/webui")
            #expect(!"\(location)".contains("pw"))
        }
    }

    @Test("a password in the query string is masked too")
    func queryPassword() throws {
        let location = try DatabaseLocation.resolve(["DATABASE_URL": "postgresql://u@db/webui?sslmode=require&password=s3cr%21t"])
        #expect("\(location)" == "postgresql://u@db/webui?sslmode=require&password=***")
    }

    @Test("Open WebUI's DATABASE_* variables are used when DATABASE_URL is unset, and the password is masked")
    func databaseVariables() throws {
        let environment = ["DATABASE_TYPE": "postgresql", "DATABASE_USER": "webui", "DATABASE_PASSWORD": "p@ss:/word",
                           "DATABASE_HOST": "db", "DATABASE_PORT": "5432", "DATABASE_NAME": "openwebui"]
        let location = try DatabaseLocation.resolve(environment)
        guard case .postgres(let target) = location else {
            Issue.record("resolved to \(location)")
            return
        }
        #expect(target.parameters.map(\.keyword) == ["host", "port", "user", "password", "dbname"])
        #expect(target.parameters.first { $0.keyword == "password" }?.value == "p@ss:/word")
        #expect(target.display == "postgresql://webui:***@db:5432/openwebui")
    }

    @Test("Open WebUI's rule: the DATABASE_* parts win over DATABASE_URL when all are set")
    func partsWinOverURL() throws {
        let environment = ["DATABASE_TYPE": "postgresql", "DATABASE_USER": "webui", "DATABASE_PASSWORD": "pw",
                           "DATABASE_HOST": "db", "DATABASE_PORT": "5432", "DATABASE_NAME": "openwebui",
                           "DATABASE_URL": "sqlite:///x.db"]
        let location = try DatabaseLocation.resolve(environment)
        #expect("\(location)" == "postgresql://webui:***@db:5432/openwebui")
        // A password without a user is enough credentials for env.py.
        let noUser = try DatabaseLocation.resolve(environment.merging(["DATABASE_USER": ""]) { $1 })
        #expect("\(noUser)" == "postgresql://:***@db:5432/openwebui")
    }

    @Test("Open WebUI's rule: an empty DATABASE_URL is not replaced by the SQLite default; postgres+driver is refused")
    func emptyURLAndPostgresDriver() {
        #expect(throws: DatabaseError.self) { try DatabaseLocation.resolve(["DATABASE_URL": ""]) }
        #expect(throws: DatabaseError.self) { try DatabaseLocation.resolve(["DATABASE_URL": "postgres+psycopg2://u@h/x"]) }
    }

    @Test("Open WebUI's rule: a relative DATA_DIR is made absolute, as pathlib's resolve() does")
    func relativeDataDirectory() throws {
        let directory = FileManager.default.currentDirectoryPath
        #expect(try DatabaseLocation.resolve(["DATA_DIR": "data"]) == .sqlite(path: directory + "/data/webui.db"))
        #expect(try DatabaseLocation.resolve(["DATA_DIR": ""]) == .sqlite(path: directory + "/webui.db"))
    }

    @Test("without DATABASE_URL or a full set of DATABASE_* variables: $DATA_DIR/webui.db, default /app/backend/data")
    func defaultSQLite() throws {
        #expect(try DatabaseLocation.resolve([:]) == .sqlite(path: "/app/backend/data/webui.db"))
        #expect(try DatabaseLocation.resolve(["DATA_DIR": "/srv/data/"]) == .sqlite(path: "/srv/data/webui.db"))
        #expect(try DatabaseLocation.resolve(["DATA_DIR": "/srv/data", "DATABASE_TYPE": "postgresql", "DATABASE_HOST": "db"])
            == .sqlite(path: "/srv/data/webui.db"))
        #expect(throws: DatabaseError.self) { try DatabaseLocation.resolve(["DATABASE_TYPE": "sqlite+sqlcipher"]) }
    }

    @Test("unsupported URLs are refused with a line that never repeats the URL or its password")
    func unsupported() {
        for url in ["mysql://root:hunter2@db/webui", "not a url hunter2"] {
            do {
                _ = try DatabaseLocation.resolve(["DATABASE_URL": url])
                Issue.record("\(url) was accepted")
            } catch {
                #expect(!error.isTransient)
                #expect(!error.description.contains("hunter2"))
            }
        }
    }

    @Test("tracking runs when OPENROUTER_EXTERNAL_USER and ORGANIZATION_NAME are set, and then needs the API key")
    func configuration() {
        #expect(UsageTrackingConfiguration(environment: [:]) == .notConfigured)
        #expect(UsageTrackingConfiguration(environment: ["OPENROUTER_API_KEY": "k"]) == .notConfigured)
        #expect(UsageTrackingConfiguration(environment: ["ORGANIZATION_NAME": "A"])
            == .incomplete(missing: ["OPENROUTER_EXTERNAL_USER", "OPENROUTER_API_KEY"]))
        #expect(UsageTrackingConfiguration(environment: ["ORGANIZATION_NAME": "A", "OPENROUTER_EXTERNAL_USER": "", "OPENROUTER_API_KEY": "k"])
            == .incomplete(missing: ["OPENROUTER_EXTERNAL_USER"]))
        #expect(UsageTrackingConfiguration(environment: ["ORGANIZATION_NAME": "A", "OPENROUTER_EXTERNAL_USER": "o", "OPENROUTER_API_KEY": "k"])
            == .configured(OrganizationSettings(id: "o", name: "A", apiKey: "k")))
    }
}
