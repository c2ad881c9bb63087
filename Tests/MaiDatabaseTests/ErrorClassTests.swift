import CSQLite
import Foundation
@testable import MaiDatabase
import Testing

/// Which failures are worth another attempt, decided from the drivers' own words. Every message below is
/// libpq 15's or the server's, copied from a real run (scripts/postgres-for-tests' server, libpq5 15.18):
/// `unshare --net` gave the EAI_AGAIN one, a cluster probed while it started gave "starting up".
@Suite("Error classes")
struct ErrorClassTests {
    static let transientConnectionMessages = [
        "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n",
        "connection to server at \"127.0.0.1\", port 53979 failed: FATAL:  the database system is starting up\n",
        "connection to server at \"127.0.0.1\", port 53979 failed: FATAL:  the database system is shutting down\n",
        "could not translate host name \"db-service\" to address: Temporary failure in name resolution\n",
        "could not translate host name \"db-service\" to address: Name or service not known\n",
        "connection to server at \"10.1.2.3\", port 5432 failed: Network is unreachable\n\tIs the server running on that host and accepting TCP/IP connections?\n",
        "connection to server at \"127.0.0.1\", port 45037 failed: FATAL:  too many connections for role \"limited\"\n",
        "connection to server on socket \"/var/run/postgresql/.s.PGSQL.5432\" failed: No such file or directory\n\tIs the server running locally and accepting connections on that socket?\n",
        "connection to server at \"10.255.255.1\", port 5432 failed: timeout expired\n",
    ]

    static let permanentConnectionMessages = [
        "connection to server at \"127.0.0.1\", port 45037 failed: FATAL:  password authentication failed for user \"mai_test\"\n",
        "connection to server at \"127.0.0.1\", port 45037 failed: fe_sendauth: no password supplied\n",
        "connection to server at \"127.0.0.1\", port 45037 failed: FATAL:  database \"nosuchdb\" does not exist\n",
        "connection to server at \"127.0.0.1\", port 45037 failed: FATAL:  role \"nologin\" is not permitted to log in\n",
        "connection to server at \"127.0.0.1\", port 45037 failed: server does not support SSL, but SSL was required\n",
        "invalid sslmode value: \"bogus\"\n",
        "invalid integer value \"Secret\" for connection option \"port\"\n",
        "invalid port number: \"99999\"\n",
        "end of string reached when looking for matching \"]\" in IPv6 host address in URI: \"postgresql://u:pw@[::1\"\n",
        "forbidden value %00 in percent-encoded value: \"a%00b\"\n",
        "invalid percent-encoded token: \"p%zzw\"\n",
        "invalid URI query parameter: \"bogus\"\n",
    ]

    @Test("libpq's connection failures that pass with time are transient", arguments: transientConnectionMessages)
    func transientConnection(_ raw: String) {
        #expect(PostgresFailure.connectionIsTransient(conciseLibpqMessage(raw)))
    }

    @Test("libpq's connection failures that no wait can fix are permanent", arguments: permanentConnectionMessages)
    func permanentConnection(_ raw: String) {
        #expect(!PostgresFailure.connectionIsTransient(conciseLibpqMessage(raw)))
    }

    /// SQLite's result codes, with the text sqlite3_errstr gives each.
    @Test("SQLite: a lock is transient, everything else permanent", arguments: [
        (SQLITE_BUSY, "database is locked", true),
        (SQLITE_BUSY | (2 << 8), "database is locked", true),
        (SQLITE_LOCKED, "database table is locked", true),
        (SQLITE_PROTOCOL, "locking protocol", true),
        (SQLITE_NOTADB, "file is not a database", false),
        (SQLITE_CORRUPT, "database disk image is malformed", false),
        (SQLITE_READONLY, "attempt to write a readonly database", false),
        (SQLITE_CANTOPEN, "unable to open database file", false),
        (SQLITE_FULL, "database or disk is full", false),
        (SQLITE_IOERR, "disk I/O error", false),
        (SQLITE_PERM, "access permission denied", false),
    ])
    func sqlite(_ code: Int32, _ message: String, _ transient: Bool) {
        #expect(String(cString: sqlite3_errstr(code)) == message)
        #expect(SQLiteFailure(path: "/data/webui.db", code: code, message: message).isTransient == transient)
    }
}

/// The same classes, provoked for real: libpq's parser and the test server decide, no message is written here.
@Suite("Error classes against libpq and the test server", .enabled(if: TestPostgres.enabled, "MAI_TEST_SKIP_POSTGRES=1"))
struct LiveErrorClassTests {
    /// A location libpq cannot parse, or one that cannot work, fails at once instead of for the whole timeout.
    @Test("an unusable location fails at once", arguments: [
        "postgresql://mai:pw@[::1", "postgresql://mai:a%00b@127.0.0.1:5432/db", "postgresql://mai:pw@/db",
        "postgresql://mai:pw@127.0.0.1:5432/db?host=/nonexistent", "postgresql://mai:pw@127.0.0.1:99999/db",
        "postgresql://mai:Abc@TAIL@127.0.0.1/db", "postgresql://mai:pw@127.0.0.1/db?sslmod=require",
    ])
    func unusableLocation(_ url: String) {
        let started = ContinuousClock.now
        let failure = initialize(["DATABASE_URL": url], timeout: .seconds(30)).failure
        // `.permanent` below is the proof that nothing was retried; the bound only tells it from the 30 s
        // timeout (it was 1 s of a 5 s timeout, which a loaded machine broke).
        #expect(ContinuousClock.now - started < .seconds(10))
        guard case .permanent = failure else {
            Issue.record("expected a permanent failure, got \(String(describing: failure))")
            return
        }
    }

    @Test("an unknown host name is retried until the timeout")
    func unknownHostIsRetried() {
        let recorder = LogRecorder()
        let failure = initialize(["DATABASE_URL": "postgresql://mai:pw@mai-no-such-host.invalid/db"], timeout: .milliseconds(800),
                                 recorder: recorder).failure
        guard case .timedOut(_, let attempts, _) = failure else {
            Issue.record("expected a timeout, got \(String(describing: failure))")
            return
        }
        #expect(attempts >= 2)
        #expect(recorder.messages(at: .warning).first?.contains("could not translate host name") == true)
    }
}

/// Issue 10's observations, through the real libpq and the real server: no 4-character piece of the password
/// in the failure or in any line logged, whichever way libpq or SQLAlchemy splits the URL.
@Suite("Secrets in driver messages", .enabled(if: TestPostgres.enabled, "MAI_TEST_SKIP_POSTGRES=1"))
struct SecretMessageTests {
    @Test("libpq's own texts hold no fragment of the password", arguments: [
        ("Abc@TAIL", "Abc@TAIL"), ("Secret/Tail99", "Secret/Tail99"), ("pw[::1Secret", "pw[::1Secret"),
        ("Ab%zzCdEf", "Ab%zzCdEf"), ("Ab%00CdEf", "Ab%00CdEf"), ("Abc%40TAIL%2Fxyz", "Abc@TAIL/xyz"),
        ("Zz:Yy?Xx#Ww", "Zz:Yy?Xx#Ww"),
    ])
    func noFragment(_ written: String, _ password: String) throws {
        let server = try TestPostgres.serverURL()
        let hostPort = String(server.split(separator: "@").last?.split(separator: "/").first ?? "127.0.0.1")
        for url in ["postgresql://mai_test:\(written)@\(hostPort)/postgres", "postgresql://mai_test:\(written)@\(hostPort)"] {
            let recorder = LogRecorder()
            let outcome = initialize(["DATABASE_URL": url], timeout: .milliseconds(300), recorder: recorder)
            let text = recorder.messages.joined(separator: "\n") + "\n" + String(describing: outcome.failure)
            for fragment in fragments(of: password) + fragments(of: written) {
                #expect(!text.contains(fragment), "\(url): \(fragment) in \(text)")
            }
        }
    }
}

/// Every 4-character substring.
func fragments(of secret: String) -> [String] {
    let characters = Array(secret)
    guard characters.count >= 4 else { return [secret] }
    return (0...(characters.count - 4)).map { String(characters[$0..<($0 + 4)]) }
}
