import Foundation
import Glibc
@testable import MaiSystem
import Testing

/// Where a process tree listens, found for a real listening grandchild (python3 forks it).
@Suite struct ListeningSocketsTests {
    @Test("the process tree: a grandchild that listens is found, an unrelated listener is not")
    func listeningGrandchild() throws {
        // Not part of the tree: a listener of the test process itself.
        let unrelated = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(unrelated) }
        var any = sockaddr_in()
        any.sin_family = sa_family_t(AF_INET)
        any.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &any) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(unrelated, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(listen(unrelated, 1) == 0)

        let script = """
            import os, socket, sys, time
            if os.fork() == 0:
                s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
                print(s.getsockname()[1], flush=True)
                time.sleep(60)
            else:
                time.sleep(60)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        let output = Foundation.Pipe()
        process.standardOutput = output
        try process.run()
        defer {
            kill(-process.processIdentifier, SIGKILL)
            for pid in processTree(root: process.processIdentifier) { kill(pid, SIGKILL) }
            process.waitUntilExit()
        }
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(UInt16(line.trimmingCharacters(in: .whitespacesAndNewlines)))

        let tree = processTree(root: process.processIdentifier)
        #expect(tree.count == 2 && tree.first == process.processIdentifier)
        let found = listeningAddresses(ofProcessTree: process.processIdentifier)
        #expect(found.map { "\($0.host):\($0.port)" } == ["127.0.0.1:\(port)"])
        #expect(listeningAddresses(ofProcessTree: getpid()).contains { $0.port == port })
        #expect(listeningAddresses(ofProcessTree: 999_999_999).isEmpty)
    }
}
