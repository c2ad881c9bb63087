import CLibPQ
import Glibc

/// Decides before any connection attempt whether a target can ever work. libpq's own parser reads it (a URL
/// with `[::1` unclosed or `%00` in the password fails here), and what it names must be a server this program
/// can try to reach: a host, a socket directory that exists, port numbers. Each of these would fail the same
/// way on every attempt, so it fails once, at once, instead of being retried for the whole --init-timeout.
struct PostgresPreflight {
    let target: PostgresTarget
    let pq: LibPQ

    func check() throws(DatabaseError) {
        let options = try parsedOptions()
        try checkHosts(options)
        try checkPorts(options)
    }

    /// The keyword/value pairs as libpq will use them; a connection string passed as `dbname` (how a URL
    /// travels) is expanded the way libpq expands it.
    private func parsedOptions() throws(DatabaseError) -> [String: String] {
        var options: [String: String] = [:]
        for parameter in target.parameters {
            guard parameter.keyword == "dbname" && isConnectionString(parameter.value) else {
                options[parameter.keyword] = parameter.value
                continue
            }
            for (keyword, value) in try parse(parameter.value) { options[keyword] = value }
        }
        return options
    }

    /// libpq's `recognized_connection_string`: a URI prefix, or an `=` anywhere.
    private func isConnectionString(_ value: String) -> Bool {
        value.hasPrefix("postgresql://") || value.hasPrefix("postgres://") || value.contains("=")
    }

    private func parse(_ conninfo: String) throws(DatabaseError) -> [(String, String)] {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = pq.conninfoParse(conninfo, &error) else {
            let message = error.map { String(cString: $0) } ?? "out of memory"
            if let error { pq.freemem(error) }
            throw failure("libpq cannot parse the location: " + conciseLibpqMessage(message))
        }
        defer { pq.conninfoFree(options) }
        var pairs: [(String, String)] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { pairs.append((String(cString: keyword), String(cString: value))) }
            option += 1
        }
        return pairs
    }

    /// No host means libpq's local socket, which an app container does not have; a socket directory that does
    /// not exist will not appear by waiting. A socket file missing in an existing directory may: that is left
    /// to the attempt (a server starting beside this program).
    private func checkHosts(_ options: [String: String]) throws(DatabaseError) {
        let addresses = nonEmpty(options["hostaddr"]) ?? environmentValue("PGHOSTADDR")
        guard let hosts = nonEmpty(options["host"]) ?? environmentValue("PGHOST") else {
            guard addresses == nil else { return }
            throw failure("no host given (libpq would look for a local socket); name the database server's host")
        }
        for host in hosts.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingSpaces }) {
            if host.isEmpty && addresses == nil { throw failure("the host list has an empty entry") }
            if host.hasPrefix("/") && !isDirectory(host) { throw failure("the socket directory \"\(host)\" does not exist") }
        }
    }

    /// libpq checks ports only when it connects, and then the same way every time.
    private func checkPorts(_ options: [String: String]) throws(DatabaseError) {
        guard let ports = nonEmpty(options["port"]) ?? environmentValue("PGPORT") else { return }
        for port in ports.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingSpaces }) where !port.isEmpty {
            guard let number = Int(port), (1...65535).contains(number) else {
                throw failure("the port \"\(port)\" is not a port number")
            }
        }
    }

    private func failure(_ message: String) -> DatabaseError {
        .postgres(PostgresFailure(target: target.display, sqlState: nil, message: target.redact(message), isTransient: false))
    }
}

private func nonEmpty(_ value: String?) -> String? {
    value.flatMap { $0.isEmpty ? nil : $0 }
}

/// libpq reads PGHOST, PGHOSTADDR and PGPORT from the process environment, so this does too.
private func environmentValue(_ name: String) -> String? {
    nonEmpty(getenv(name).map { String(cString: $0) })
}

private func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
}
