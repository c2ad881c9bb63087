import CSQLite
import Foundation
@testable import MaiSQL
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
