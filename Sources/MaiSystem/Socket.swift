import Glibc

/// An IPv4 or IPv6 address and port to connect to.
public struct SocketAddress: Sendable, Equatable {
    public enum Family: Sendable, Equatable { case v4, v6 }
    public let family: Family
    public let host: String
    public let port: UInt16

    /// A numeric address (`127.0.0.1`, `::1`); `localhost` is taken as 127.0.0.1 so that no lookup is needed.
    public init?(host: String, port: UInt16) {
        let numeric = host == "localhost" ? "127.0.0.1" : host
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, numeric, &v4) == 1 {
            family = .v4
        } else if inet_pton(AF_INET6, numeric, &v6) == 1 {
            family = .v6
        } else {
            return nil
        }
        self.host = numeric
        self.port = port
    }
}

/// A non-blocking TCP connection attempt; the caller waits for it to become writable, then asks for the outcome.
public final class TCPConnection {
    public let descriptor: Int32

    /// Starts connecting. Returns at once: loopback answers within the call or soon after.
    public init(to address: SocketAddress) throws(SystemError) {
        let domain = address.family == .v4 ? AF_INET : AF_INET6
        let fd = socket(domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw SystemError("socket") }
        descriptor = fd
        let result: Int32
        switch address.family {
        case .v4:
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = address.port.bigEndian
            inet_pton(AF_INET, address.host, &sin.sin_addr)
            result = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = address.port.bigEndian
            inet_pton(AF_INET6, address.host, &sin6.sin6_addr)
            result = withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        // A failure here (refused at once) closes the socket through deinit.
        if result != 0 && errno != EINPROGRESS { throw SystemError("connect") }
    }

    deinit { close(descriptor) }

    /// After the socket became writable: nil when connected, else why it failed (refused, for one).
    public func connectionError() -> SystemError? {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &code, &length) != 0 { return SystemError("getsockopt") }
        return code == 0 ? nil : SystemError("connect", errno: code)
    }
}
