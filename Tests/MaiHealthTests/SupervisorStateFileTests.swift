import Foundation
import Glibc
import MaiHealth
import MaiSystem
import Testing

/// The file through which PID 1 tells `healthcheck` that it is stopping: believed only while its writer runs.
@Suite struct SupervisorStateFileTests {
    func temporaryFile() throws -> SupervisorStateFile {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mai-state-\(UUID().uuidString)")
        // The writer makes the last directory itself, as it makes /run/mai-entrypoint.
        return SupervisorStateFile(path: directory.appendingPathComponent("state").path)
    }

    @Test func whatIsWrittenIsReadBackWhileTheWriterRuns() throws {
        let file = try temporaryFile()
        #expect(file.read() == .absent)
        try file.write(.running)
        #expect(file.read() == .current(.running, pid: getpid()))
        try file.write(.stopping)
        #expect(file.read() == .current(.stopping, pid: getpid()))
        #expect(!FileManager.default.fileExists(atPath: file.path + ".tmp"))
        file.remove()
        #expect(file.read() == .absent)
    }

    @Test func aFileFromAnotherLifeIsStale() throws {
        let file = try temporaryFile()
        try file.write(.stopping)
        let start = try #require(ProcessStat.of(getpid())?.startTime)
        // The same pid (pid 1 again, after a restart of the container) started at another time.
        try "state=stopping\npid=\(getpid())\nstart=\(start + 1)\n".write(toFile: file.path, atomically: false, encoding: .utf8)
        #expect(file.read() == .stale(pid: getpid()))
        // A pid that no longer exists.
        try "state=stopping\npid=2147483646\nstart=1\n".write(toFile: file.path, atomically: false, encoding: .utf8)
        #expect(file.read() == .stale(pid: 2147483646))
    }

    @Test("odd contents say nothing", arguments: [
        "", "state=stopping\n", "state=draining\npid=1\nstart=1\n", "state=stopping\npid=-1\nstart=1\n",
        "state=stopping\npid=1\nstart=x\n", "garbage\u{0}\u{ff}", String(repeating: "state=stopping\n", count: 100),
    ])
    func oddContentsAreAbsent(text: String) throws {
        let file = try temporaryFile()
        try file.write(.running)
        try text.write(toFile: file.path, atomically: false, encoding: .utf8)
        #expect(file.read() == .absent)
    }

    @Test func aDirectoryOrALinkIsNotRead() throws {
        let file = try temporaryFile()
        try file.write(.stopping)
        let target = file.path + ".real"
        try FileManager.default.moveItem(atPath: file.path, toPath: target)
        try FileManager.default.createSymbolicLink(atPath: file.path, withDestinationPath: target)
        #expect(file.read() == .absent)
        try FileManager.default.removeItem(atPath: file.path)
        try FileManager.default.createDirectory(atPath: file.path, withIntermediateDirectories: false)
        #expect(file.read() == .absent)
    }

    @Test func anUnwritablePlaceThrowsTheCall() throws {
        let file = SupervisorStateFile(path: "/proc/mai-entrypoint/state")
        #expect(throws: SystemError.self) { try file.write(.stopping) }
        #expect(file.read() == .absent)
    }
}
