/// A PostgreSQL connection or statement that failed, with the SQLSTATE when the server sent one.
public struct PostgresFailure: Equatable, Sendable, CustomStringConvertible {
    /// Where, as the log shows it: host, port and database, never the password.
    public let target: String
    public let sqlState: String?
    /// One line, already redacted.
    public let message: String
    public let isTransient: Bool

    public init(target: String, sqlState: String?, message: String, isTransient: Bool) {
        self.target = target
        self.sqlState = sqlState
        self.message = message
        self.isTransient = isTransient
    }

    public var description: String {
        "PostgreSQL \(target): \(message)" + (sqlState.map { " (SQLSTATE \($0))" } ?? "")
    }

    /// libpq reports connection failures as text only, so its and the server's well-known phrases decide.
    /// What time can fix is looked for first: a server not up yet (refused, starting up, shutting down, full,
    /// unreachable, timed out) and a host name that does not resolve yet (Docker and Kubernetes service names
    /// resolve seconds after the container starts; EAI_AGAIN and EAI_NONAME alike), retried while the deadline
    /// allows. Then what the server refuses for good (password, role, database, pg_hba, SSL) and what libpq
    /// cannot read, which fail at once. Anything else about reaching the server is worth another attempt.
    static func connectionIsTransient(_ message: String) -> Bool {
        let text = message.lowercased()
        let transient = [
            "could not translate host name", "temporary failure in name resolution", "name or service not known",
            "name does not resolve", "connection refused", "the database system is starting up",
            "the database system is shutting down", "the database system is in recovery mode", "too many connections",
            "timeout expired", "network is unreachable", "no route to host", "connection reset",
            "server closed the connection unexpectedly",
        ]
        if transient.contains(where: { text.contains($0) }) { return true }
        let permanent = [
            "password authentication failed", "authentication failed", "no password supplied", "does not exist",
            "no pg_hba.conf entry", "permission denied", "invalid ", "unsupported", "does not support ssl", "sslmode",
            "not permitted", "must be superuser", "could not parse", "could not match", "end of string reached",
            "forbidden value", "percent-encoded", "unexpected character", "unterminated quoted string",
            "missing \"=\"", "extra key/value separator", "cannot parse",
        ]
        return !permanent.contains { text.contains($0) }
    }

    /// Server errors by SQLSTATE class: connection trouble (08), too many connections or out of resources
    /// (53), shutdown or start-up (57P0x), serialization and deadlock (40001, 40P01), lock timeout (55P03).
    static func statementIsTransient(_ sqlState: String?) -> Bool {
        guard let sqlState else { return true }
        return sqlState.hasPrefix("08") || sqlState.hasPrefix("53") || sqlState.hasPrefix("57P0")
            || ["40001", "40P01", "55P03"].contains(sqlState)
    }
}

/// libpq's text as one line: the `connection to server at … failed:` preamble, the severity and the
/// "Is the server running" hint add nothing that the target does not already say.
func conciseLibpqMessage(_ raw: String) -> String {
    var lines = raw.split(whereSeparator: \.isNewline).map { $0.trimmingSpaces }.filter { !$0.isEmpty }
    lines.removeAll { $0.hasPrefix("Is the server running") || $0.hasPrefix("HINT:") }
    let text = lines.joined(separator: "; ")
    var result = Substring(text)
    if let failed = result.firstRange(of: "failed: "), result.hasPrefix("connection to server") {
        result = result[failed.upperBound...]
    }
    for severity in ["FATAL:", "ERROR:"] where result.hasPrefix(severity) {
        result = result.dropFirst(severity.count)
    }
    let concise = String(result).trimmingSpaces
    return concise.isEmpty ? "connection failed" : concise
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
