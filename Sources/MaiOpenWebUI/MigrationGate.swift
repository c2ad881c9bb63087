import Logging
import MaiSQL
import MaiSystem

/// One replica at a time through Open WebUI's start-up migrations on a shared PostgreSQL database.
///
/// Open WebUI runs its alembic migrations when it imports its configuration, in every replica, and alembic
/// takes no lock: replicas that start together run the same DDL at once and fail on "already exists". The
/// gate is a session-level advisory lock that the supervisor takes on its own connection before it starts the
/// server and keeps until the server is ready (or has exited, or the ready timeout passed). PostgreSQL ends a
/// session's advisory locks with the session, so a holder that dies (killed, its node lost) frees the gate as
/// soon as its connection is gone. Replicas that find nothing pending do not touch the lock: they start at
/// once, in parallel.
public enum MigrationGate {
    /// How often a waiting replica tries the lock again. A try is one round trip; waiting in
    /// `pg_advisory_lock` instead could not be interrupted by a TERM.
    static let retryInterval: Duration = .milliseconds(250)

    /// The key: the gate of this database and schema (advisory locks are per database; the schema is named
    /// because Open WebUI instances in two schemas of one database migrate separate tables). A namespace
    /// other than the usage tables' lock, so that neither waits for the other.
    static let tryLock = """
        SELECT pg_try_advisory_lock(('x' || left(md5('open-webui-migrations:' || quote_ident(current_database())
               || '.' || quote_ident(current_schema())), 16))::bit(64)::bigint)
        """

    public enum Outcome {
        /// Nothing pending: start now, without the lock.
        case open(revision: String)
        /// This run holds the gate: start the server, release when it is ready.
        case held(Hold)
        /// Another instance held the gate for the whole timeout.
        case timedOut(waited: Duration)
        case stopped(Signal)
    }

    /// The held gate: the connection whose session owns the lock. `release()` ends the session.
    public final class Hold {
        private var connection: PostgresConnection?
        public let waited: Duration
        /// The revision found once the gate was taken (nil: no `alembic_version` yet, a fresh database).
        public let revision: String?

        init(_ connection: PostgresConnection, waited: Duration, revision: String?) {
            self.connection = connection
            self.waited = waited
            self.revision = revision
        }

        /// Closing the connection ends the session, and PostgreSQL releases its advisory locks with it.
        public func release() { connection = nil }
        public var isHeld: Bool { connection != nil }
    }

    /// Passes the gate for `target`. `scripts` are the installed Open WebUI's migration scripts (nil when they
    /// were not found: then every start counts as pending, which serializes starts but never races).
    public static func pass(target: PostgresTarget, scripts: MigrationScripts?, timeout: Duration, stop: StopRequests,
                            logger: Logger) throws(DatabaseError) -> Outcome {
        let connection: PostgresConnection
        do {
            connection = try PostgresConnection(target: target, timeout: .seconds(10), stop: stop)
        } catch .interrupted(let signal) {
            return .stopped(signal)
        }
        if let current = try settledRevision(connection, scripts) { return .open(revision: current) }
        let started = MonotonicInstant.now()
        var announced = false
        while true {
            if try connection.query(tryLock, []).first?.first?.text == "t" {
                // The holder before this one may have run them all: then nobody needs the gate any more.
                if let current = try settledRevision(connection, scripts) { return .open(revision: current) }
                let revisions = try AlembicRecord.read(connection).revisions
                return .held(Hold(connection, waited: started.duration(to: .now()), revision: revisions?.joined(separator: ",")))
            }
            if !announced {
                logger.info("waiting for another instance's Open WebUI migrations", metadata: [
                    "database": "\(target.display)", "gate_timeout": "\(timeout.secondsText)s",
                ])
                announced = true
            }
            if started.duration(to: .now()) >= timeout { return .timedOut(waited: started.duration(to: .now())) }
            if let signal = stop.pause(min(retryInterval, timeout - started.duration(to: .now()))) { return .stopped(signal) }
        }
    }

    /// The database's revision when Open WebUI has nothing to migrate at start: at the head of its scripts, or at
    /// a revision they do not know (a newer Open WebUI's database: its own start fails, and no gate helps). nil:
    /// migrations pending, or no scripts to tell.
    static func settledRevision(_ connection: PostgresConnection, _ scripts: MigrationScripts?) throws(DatabaseError) -> String? {
        guard let scripts else { return nil }
        let revisions = try AlembicRecord.read(connection).revisions
        switch scripts.state(of: revisions) {
        case .upToDate, .unknown: return revisions?.joined(separator: ",")
        case .fresh, .pending: return nil
        }
    }
}
