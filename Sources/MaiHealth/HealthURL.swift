import MaiSystem

/// The web server's health endpoint: plain HTTP on a numeric address (the server runs in the same container,
/// so no name lookup and no TLS are needed).
public struct HealthURL: Sendable, Equatable, CustomStringConvertible {
    public let address: SocketAddress
    public let path: String
    public let hostHeader: String

    public static let defaultPort: UInt16 = 8080

    /// `http://127.0.0.1:8080/health`, `http://[::1]:3000/health`, `http://localhost/health`.
    public init(_ text: String) throws(HealthURLError) {
        guard text.hasPrefix("http://") else { throw HealthURLError(text, "only http:// URLs are probed") }
        let rest = text.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
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
        try HealthURL("http://127.0.0.1:\(port.flatMap { $0.isEmpty ? nil : $0 } ?? String(defaultPort))/health")
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
    init(_ url: String, _ reason: String) { description = "\(url): \(reason)" }
}
