import Glibc

/// Where a process tree accepts TCP connections, read from /proc: the socket inodes its processes hold
/// (`socket:[N]` links under /proc/PID/fd) matched against the LISTEN sockets of the network namespace (from
/// the kernel's socket diagnostics, or the LISTEN rows of /proc/net/tcp and tcp6). The readiness probe uses it
/// to follow a server to the port it really listens on, whatever PORT says.

/// The addresses to connect to, one per listening socket of `root` and its descendants, lowest port first.
/// Empty when nothing listens, or when /proc cannot be read. Callers scan only while they wait for a server,
/// never in a steady state.
public func listeningAddresses(ofProcessTree root: pid_t) -> [SocketAddress] {
    listeningAddresses(matching: socketInodes(of: processTree(root: root)))
}

/// The listening sockets among these inodes, as addresses to connect to.
func listeningAddresses(matching inodes: Set<UInt64>) -> [SocketAddress] {
    // No socket at all: nothing to ask the kernel.
    guard !inodes.isEmpty else { return [] }
    let rows = listeningRows()
    let ipv6Loopback = hasIPv6Loopback()
    var addresses: [SocketAddress] = []
    for row in rows where inodes.contains(row.inode) {
        if let address = row.connectAddress(ipv6Loopback: ipv6Loopback), !addresses.contains(address) {
            addresses.append(address)
        }
    }
    return addresses.sorted { ($0.port, $0.family == .v6 ? 1 : 0) < ($1.port, $1.family == .v6 ? 1 : 0) }
}

/// Every listening TCP socket of this network namespace, IPv4 and IPv6. Asked of the kernel's socket
/// diagnostics (netlink, LISTEN sockets only), which costs microseconds; /proc/net/tcp and tcp6 hold the same
/// rows but cost the kernel a walk of its whole connection hash (about 4 ms each on a 2-core test machine), so
/// they are read only when netlink is refused (an old kernel, a seccomp filter).
func listeningRows() -> [ListenRow] {
    if let v4 = SocketDiagnostics.listeningRows(family: AF_INET), let v6 = SocketDiagnostics.listeningRows(family: AF_INET6) {
        return v4 + v6
    }
    return ListenRow.parse(procText("/proc/net/tcp")) + ListenRow.parse(procText("/proc/net/tcp6"))
}

/// One SOCK_DIAG_BY_FAMILY dump over NETLINK_SOCK_DIAG (see sock_diag(7)), built and read as raw bytes: the
/// structures are fixed by the kernel's ABI and Swift's Glibc module does not export them.
enum SocketDiagnostics {
    static let netlinkSockDiag: Int32 = 4
    static let sockDiagByFamily: UInt16 = 20
    static let requestAndDump: UInt16 = 0x301        // NLM_F_REQUEST | NLM_F_DUMP
    static let done: UInt16 = 3, error: UInt16 = 2  // NLMSG_DONE, NLMSG_ERROR
    static let listenStates: UInt32 = 1 << 10        // 1 << TCP_LISTEN
    static let headerSize = 16                       // struct nlmsghdr
    static let messageSize = 72                      // struct inet_diag_msg

    /// The LISTEN sockets of one address family; nil when the kernel cannot be asked or answers oddly.
    static func listeningRows(family: Int32) -> [ListenRow]? {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), netlinkSockDiag)
        if fd < 0 { return nil }
        defer { close(fd) }
        let request = self.request(family: family)
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == request.count else { return nil }
        var rows: [ListenRow] = []
        var buffer = [UInt8](repeating: 0, count: 32_768)
        while true {
            // The kernel writes the dump as it is read: never a wait, and MSG_DONTWAIT makes sure of it.
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            guard count > 0 else { return nil }
            switch parse(buffer[0..<count], family: family, into: &rows) {
            case .more: continue
            case .done: return rows
            case .failed: return nil
            }
        }
    }

    /// nlmsghdr then inet_diag_req_v2, in host byte order: LISTEN sockets of `family` over TCP.
    static func request(family: Int32) -> [UInt8] {
        var bytes: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) } }
        append(UInt32(headerSize + 56))                 // nlmsg_len
        append(sockDiagByFamily)                        // nlmsg_type
        append(requestAndDump)                          // nlmsg_flags
        append(UInt32(1))                               // nlmsg_seq
        append(UInt32(0))                               // nlmsg_pid: the kernel
        bytes += [UInt8(family), UInt8(IPPROTO_TCP), 0, 0]  // sdiag_family, sdiag_protocol, idiag_ext, pad
        append(listenStates)                            // idiag_states
        bytes += [UInt8](repeating: 0, count: 48)       // inet_diag_sockid: any
        return bytes
    }

    enum Progress { case more, done, failed }

    /// The messages of one read: a row for each inet_diag_msg, until NLMSG_DONE.
    static func parse(_ bytes: ArraySlice<UInt8>, family: Int32, into rows: inout [ListenRow]) -> Progress {
        var offset = bytes.startIndex
        while offset + headerSize <= bytes.endIndex {
            let length = Int(integer(bytes, at: offset, as: UInt32.self))
            let type = integer(bytes, at: offset + 4, as: UInt16.self)
            guard length >= headerSize, offset + length <= bytes.endIndex else { return .failed }
            if type == done { return .done }
            if type == error { return .failed }
            if type == sockDiagByFamily {
                guard length >= headerSize + messageSize else { return .failed }
                rows.append(row(bytes, at: offset + headerSize, family: family))
            }
            offset += (length + 3) & ~3
        }
        return .more
    }

    /// inet_diag_msg: family, state, timer, retrans, then the socket id (sport, dport, src[16], dst[16], if,
    /// cookie), expires, rqueue, wqueue, uid, inode. Ports and addresses are in network byte order.
    static func row(_ bytes: ArraySlice<UInt8>, at start: Int, family: Int32) -> ListenRow {
        let port = UInt16(bytes[start + 4]) << 8 | UInt16(bytes[start + 5])
        let addressLength = family == AF_INET ? 4 : 16
        let address = Array(bytes[(start + 8)..<(start + 8 + addressLength)])
        let inode = UInt64(integer(bytes, at: start + 68, as: UInt32.self))
        return ListenRow(address: address, port: port, inode: inode)
    }

    /// A host-order integer at an offset, byte by byte: netlink messages are not aligned for Swift's loads.
    static func integer<T: FixedWidthInteger>(_ bytes: ArraySlice<UInt8>, at offset: Int, as type: T.Type) -> T {
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { raw in
            for index in 0..<MemoryLayout<T>.size { raw[index] = bytes[offset + index] }
        }
        return value
    }
}

/// One LISTEN row of /proc/net/tcp or tcp6: the local address (4 or 16 bytes, network order), port, inode.
struct ListenRow: Equatable {
    let address: [UInt8]
    let port: UInt16
    let inode: UInt64

    /// TCP_LISTEN in the kernel's `st` column.
    static let listenState = "0A"

    /// The LISTEN rows of the table's text; the header and any line that does not parse are skipped.
    static func parse(_ text: String) -> [ListenRow] {
        text.split(separator: "\n").compactMap { ListenRow(line: $0) }
    }

    init(address: [UInt8], port: UInt16, inode: UInt64) {
        self.address = address
        self.port = port
        self.inode = inode
    }

    /// `sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...`
    init?(line: Substring) {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 10, fields[3] == Self.listenState else { return nil }
        let local = fields[1].split(separator: ":")
        guard local.count == 2, let port = UInt16(local[1], radix: 16),
              let address = Self.addressBytes(local[0]), let inode = UInt64(fields[9]) else { return nil }
        self.init(address: address, port: port, inode: inode)
    }

    /// The kernel prints the address as 32-bit words in host byte order (`0100007F` is 127.0.0.1 on x86):
    /// each word's bytes, as laid out in memory, are the address bytes in network order.
    static func addressBytes(_ hex: Substring) -> [UInt8]? {
        guard hex.count == 8 || hex.count == 32 else { return nil }
        var bytes: [UInt8] = []
        var rest = hex
        while !rest.isEmpty {
            guard let word = UInt32(rest.prefix(8), radix: 16) else { return nil }
            withUnsafeBytes(of: word) { bytes.append(contentsOf: $0) }
            rest = rest.dropFirst(8)
        }
        return bytes
    }

    /// Where a client on this host reaches the socket: an any-address through loopback, a specific one as is.
    /// `::` is reached at ::1 when loopback has IPv6; else only a dual-stack socket is reachable, at 127.0.0.1.
    func connectAddress(ipv6Loopback: Bool) -> SocketAddress? {
        if address.count == 4 {
            return address == [0, 0, 0, 0] ? SocketAddress(host: "127.0.0.1", port: port) : Self.v4(address, port)
        }
        if address.allSatisfy({ $0 == 0 }) {
            return SocketAddress(host: ipv6Loopback ? "::1" : "127.0.0.1", port: port)
        }
        // ::ffff:a.b.c.d, an IPv4 address on an IPv6 socket: connect over IPv4.
        if address.prefix(10).allSatisfy({ $0 == 0 }) && address[10] == 0xFF && address[11] == 0xFF {
            return Self.v4(Array(address.suffix(4)), port)
        }
        var raw = in6_addr()
        withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: address) }
        return numericHost(AF_INET6, &raw, length: Int(INET6_ADDRSTRLEN)).flatMap { SocketAddress(host: $0, port: port) }
    }

    private static func v4(_ bytes: [UInt8], _ port: UInt16) -> SocketAddress? {
        var raw = in_addr()
        withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: bytes) }
        return numericHost(AF_INET, &raw, length: Int(INET_ADDRSTRLEN)).flatMap { SocketAddress(host: $0, port: port) }
    }
}

/// inet_ntop: the numeric text of a binary address.
private func numericHost(_ family: Int32, _ address: UnsafeRawPointer, length: Int) -> String? {
    var text = [CChar](repeating: 0, count: length)
    guard inet_ntop(family, address, &text, socklen_t(length)) != nil else { return nil }
    return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The inodes of the sockets the processes hold: the N of each `socket:[N]` link under /proc/PID/fd.
func socketInodes(of pids: [pid_t]) -> Set<UInt64> {
    var inodes: Set<UInt64> = []
    for pid in pids {
        for target in descriptorTargets(of: pid) {
            guard target.hasPrefix("socket:["), target.hasSuffix("]"),
                  let inode = UInt64(target.dropFirst(8).dropLast()) else { continue }
            inodes.insert(inode)
        }
    }
    return inodes
}

/// Whether ::1 is configured (IPv6 can be off in a container, on loopback too).
func hasIPv6Loopback() -> Bool {
    procText("/proc/net/if_inet6").split(separator: "\n").contains { $0.hasPrefix("00000000000000000000000000000001 ") }
}

/// A /proc file's text, or "" when it cannot be read (no /proc, no IPv6, a process gone).
private func procText(_ path: String) -> String {
    (try? readSmallFile(path)) ?? ""
}
