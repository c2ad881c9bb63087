import MaiSystem

/// The web server's health endpoint: plain HTTP on a numeric address (the server runs in the same container,
/// so no name lookup and no TLS are needed).
public struct HealthURL: Sendable, Equatable, CustomStringConvertible {
    public let address: SocketAddress
    public let path: String
    public let hostHeader: String
    /// Open WebUI's default endpoint, where PORT is only a first guess: the readiness probe may follow the
    /// server to the port it really listens on. A URL the operator gave is never moved.
    public private(set) var followsServer = false

    public static let defaultPort: UInt16 = 8080

    /// `http://127.0.0.1:8080/health`, `http://[::1]:3000/health`, `http://localhost/health`.
    public init(_ text: String) throws(HealthURLError) {
        // The path and host go into the request as they are: a CR or LF would let the URL add headers.
        if text.unicodeScalars.contains(where: Self.isRefused) {
            throw HealthURLError(text, "contains a space or control character; write it percent-encoded (%20)")
        }
        if text.lowercased().hasPrefix("https://") {
            throw HealthURLError(text, "only http:// is supported (the probe speaks plain HTTP to a server in the same container)")
        }
        guard text.hasPrefix("http://") else { throw HealthURLError(text, "only http:// URLs are probed") }
        let rest = text.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        // The probe sends no credentials, and the error must not echo them.
        if authority.contains("@") {
            throw HealthURLError(text, "credentials (user:password@) are not supported: the probe sends none")
        }
        let (host, port) = try Self.split(authority, text)
        guard let address = SocketAddress(host: host, port: port) else {
            throw HealthURLError(text, "the host must be an IP address or localhost")
        }
        self.address = address
        self.path = path.isEmpty ? "/" : String(path)
        self.hostHeader = String(authority)
    }

    /// Open WebUI's own endpoint on the port the container serves: `http://127.0.0.1:${PORT:-8080}/health`.
    public static func openWebUI(port: String?) throws(HealthURLError) -> HealthURL {
        var url = try HealthURL("http://127.0.0.1:\(port.flatMap { $0.isEmpty ? nil : $0 } ?? String(defaultPort))/health")
        url.followsServer = true
        return url
    }

    /// Where to probe once the server is known to listen at `listening` (its process tree's sockets, lowest
    /// port first): nil to stay, for a URL the operator gave, when nothing listens yet, or when the server
    /// listens where this URL points already; else the first place it listens.
    public func following(_ listening: [SocketAddress]) -> HealthURL? {
        guard followsServer, let first = listening.first, !listening.contains(address) else { return nil }
        return moved(to: first)
    }

    /// The same path at another address: where the server was found listening.
    public func moved(to address: SocketAddress) -> HealthURL {
        HealthURL(address: address, path: path, followsServer: followsServer)
    }

    private init(address: SocketAddress, path: String, followsServer: Bool) {
        self.address = address
        self.path = path
        self.hostHeader = address.family == .v6 ? "[\(address.host)]:\(address.port)" : "\(address.host):\(address.port)"
        self.followsServer = followsServer
    }

    /// A space, C0 and C1 controls, DEL: none may reach the request line or the Host header.
    private static func isRefused(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value <= 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    private static func split(_ authority: Substring, _ text: String) throws(HealthURLError) -> (String, UInt16) {
        var host = authority
        var portText: Substring = ""
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw HealthURLError(text, "unclosed [ in the host") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            portText = authority[authority.index(after: close)...].drop { $0 == ":" }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        if portText.isEmpty { return (String(host), 80) }
        guard let port = UInt16(portText), port > 0 else { throw HealthURLError(text, "bad port \(portText)") }
        return (String(host), port)
    }

    public var description: String { "http://\(hostHeader)\(path)" }
}

public struct HealthURLError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// One line whatever the URL holds: its control characters are shown escaped, never written; a userinfo
    /// (`user:password@`) is shown as `***@`.
    init(_ url: String, _ reason: String) { description = "\(escapingControlCharacters(hidingUserinfo(url))): \(reason)" }
}

/// `http://user:pw@host/path` → `http://***@host/path`: everything before the authority's last `@`.
private func hidingUserinfo(_ url: String) -> String {
    guard let scheme = url.firstRange(of: "://") else { return url }
    let rest = url[scheme.upperBound...]
    let authority = rest.prefix { $0 != "/" }
    guard let at = authority.lastIndex(of: "@") else { return url }
    return String(url[..<scheme.upperBound]) + "***" + String(url[at...])
}
