import Foundation
import Glibc
@testable import MaiSystem
import Testing

/// Reading where a process tree listens: /proc/net/tcp{,6} rows, the kernel's socket diagnostics (the real listening
/// grandchild, which needs python3, is in MaiSystemIntegrationTests).
@Suite struct ListeningSocketsTests {
    // Real lines (padding included), one LISTEN row each on 0.0.0.0:2024 and 127.0.0.1:18080, one established.
    static let tcp = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     
           0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1524 1 00000000712988af 100 0 0 10 0                      
           1: 0100007F:83CE 0100007F:4A37 06 00000000:00000000 03:00000818 00000000     0        0 0 3 00000000e59ccb14                                      
           2: 0100007F:46A0 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 987654 1 0000000000000000 100 0 0 10 0
           3: 0100007F:1F90 0100007F:D5A4 01 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000000000000 20 4 30 10 -1

        """

    static let tcp6 = """
          sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 00000000000000000000000000000000:4A37 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 45968 1 00000000659eaf19 100 0 0 10 0
           1: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 45969 1 00000000659eaf19 100 0 0 10 0
           2: 0000000000000000FFFF00000100007F:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 45970 1 00000000659eaf19 100 0 0 10 0
           3: 00000000000000000000000001000000:BA1A 00000000000000000000000001000000:4A37 06 00000000:00000000 03:0000176F 00000000     0        0 0 3 00000000ab80fc12

        """

    @Test func parsesTheListenRowsOfTCP() {
        let rows = ListenRow.parse(Self.tcp)
        #expect(rows == [
            ListenRow(address: [0, 0, 0, 0], port: 2024, inode: 1524),
            ListenRow(address: [127, 0, 0, 1], port: 18080, inode: 987_654),
        ])
    }

    @Test func parsesTheListenRowsOfTCP6() {
        let rows = ListenRow.parse(Self.tcp6)
        #expect(rows.map(\.port) == [18_999, 8080, 3000])
        #expect(rows.map(\.inode) == [45968, 45969, 45970])
        #expect(rows[0].address == [UInt8](repeating: 0, count: 16))
        #expect(rows[1].address == [UInt8](repeating: 0, count: 15) + [1])
        #expect(rows[2].address == [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 127, 0, 0, 1])
    }

    @Test func ignoresWhatIsNotARow() {
        #expect(ListenRow.parse("").isEmpty)
        #expect(ListenRow.parse("garbage\n   0: 0100007F 00000000:0000 0A\n   1: XYZ:1F90 00000000:0000 0A 0 0 0 0 0 0 1\n").isEmpty)
    }

    @Test("where to connect: any address → loopback, a specific address → itself")
    func connectAddresses() {
        func target(_ address: [UInt8], ipv6Loopback: Bool = true) -> String? {
            ListenRow(address: address, port: 8080, inode: 1).connectAddress(ipv6Loopback: ipv6Loopback).map { "\($0.host) \($0.port)" }
        }
        let zeros16 = [UInt8](repeating: 0, count: 16)
        #expect(target([0, 0, 0, 0]) == "127.0.0.1 8080")
        #expect(target([127, 0, 0, 1]) == "127.0.0.1 8080")
        #expect(target([127, 0, 0, 2]) == "127.0.0.2 8080")
        #expect(target([10, 1, 2, 3]) == "10.1.2.3 8080")
        #expect(target(zeros16) == "::1 8080")
        // Without IPv6 on loopback, a socket on :: is reachable only as dual-stack, through 127.0.0.1.
        #expect(target(zeros16, ipv6Loopback: false) == "127.0.0.1 8080")
        #expect(target(Array(zeros16.dropLast()) + [1]) == "::1 8080")
        #expect(target(Array(zeros16.prefix(10)) + [0xFF, 0xFF, 127, 0, 0, 1]) == "127.0.0.1 8080")
        #expect(target([0xFE, 0x80] + Array(zeros16.dropFirst(2).dropLast()) + [7]) == "fe80::7 8080")
    }

    @Test("the kernel's socket diagnostics list the same LISTEN sockets as /proc/net/tcp and tcp6")
    func diagnosticsAgreeWithProc() throws {
        // One listener of each family of our own, so that neither list is empty.
        let v4 = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0), v6 = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(v4); close(v6) }
        var any4 = sockaddr_in()
        any4.sin_family = sa_family_t(AF_INET)
        any4.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &any4) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(v4, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var any6 = sockaddr_in6()
        any6.sin6_family = sa_family_t(AF_INET6)
        _ = withUnsafePointer(to: &any6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(v6, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        #expect(listen(v4, 1) == 0 && listen(v6, 1) == 0)

        let fromKernel = try #require(SocketDiagnostics.listeningRows(family: AF_INET)) + (try #require(SocketDiagnostics.listeningRows(family: AF_INET6)))
        let fromProc = ListenRow.parse(try readSmallFile("/proc/net/tcp")) + ListenRow.parse(try readSmallFile("/proc/net/tcp6"))
        func key(_ row: ListenRow) -> String { "\(row.address) \(row.port) \(row.inode)" }
        #expect(fromKernel.count >= 2)
        #expect(Set(fromKernel.map(key)) == Set(fromProc.map(key)))
    }
}
