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

    /// The keyword/value pairs as libpq will use them, read back through libpq's own parser: a keyword it does
    /// not know (`?sslmod=require`) fails here. A value with a NUL byte (`%00` in a password) cannot reach libpq.
    private func parsedOptions() throws(DatabaseError) -> [String: String] {
        for parameter in target.parameters where parameter.value.utf8.contains(0) {
            throw failure("the \(parameter.keyword) holds a NUL byte, which libpq cannot take")
        }
        var options: [String: String] = [:]
        for (keyword, value) in try parse(target.parameters.map { "\($0.keyword)=\(conninfoQuoted($0.value))" }.joined(separator: " ")) {
            options[keyword] = value
        }
        return options
    }

    /// A conninfo value in single quotes, `\` and `'` escaped, as libpq's `conninfo_parse` reads it.
    private func conninfoQuoted(_ value: String) -> String {
        "'" + value.replacing("\\", with: "\\\\").replacing("'", with: "\\'") + "'"
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
            // `[::1` unclosed reads as host `[`; `u:Abc@TAIL@db` as host `TAIL@db`: no resolver will ever know them.
            if !host.hasPrefix("/") && !host.allSatisfy(isHostCharacter) {
                throw failure("the host \"\(host)\" is not a host name or an address")
            }
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

/// Letters, digits, `.`, `-`, `_`, and `:` and `%` for IPv6 addresses and their zones.
private func isHostCharacter(_ character: Character) -> Bool {
    character.isASCII && (character.isLetter || character.isNumber || ".-_:%".contains(character))
}
