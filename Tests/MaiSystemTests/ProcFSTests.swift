import Glibc
@testable import MaiSystem
import Testing

@Suite struct ProcFSTests {
    @Test("this process's own /proc/self/stat: its parent, group, state and a start time that does not change")
    func ownStat() throws {
        let stat = try #require(ProcessStat.of(getpid()))
        #expect(stat.parent == getppid())
        #expect(stat.group == getpgrp())
        // /proc/PID/stat shows the main thread, which may wait while a test thread reads it.
        #expect("RSD".contains(stat.state))
        #expect(stat.startTime > 0)
        #expect(ProcessStat.of(getpid())?.startTime == stat.startTime)
        #expect(ProcessStat.of(999_999_999) == nil)
    }

    @Test("a child's stat: this process as parent, then a zombie once killed, then nothing once reaped")
    func childStat() throws {
        let child = try spawnSleep()
        var reaped = false
        defer { if !reaped { kill(child, SIGKILL); waitpid(child, nil, 0) } }
        let stat = try #require(ProcessStat.of(child))
        #expect(stat.parent == getpid())
        #expect(stat.startTime >= ProcessStat.of(getpid())?.startTime ?? .max)
        #expect(processIDs().contains(child))
        #expect(processTree(root: getpid()).contains(child))
        #expect(processExists(child))
        kill(child, SIGKILL)
        var state: Character?
        for _ in 0..<200 where state != "Z" {
            state = ProcessStat.of(child)?.state
            usleep(10_000)
        }
        #expect(state == "Z")
        waitpid(child, nil, 0)
        reaped = true
        #expect(ProcessStat.of(child) == nil)
        #expect(!processExists(child))
    }

    @Test("a command holding blanks and ')' does not shift the fields")
    func oddCommand() throws {
        let line = Array("42 (a) b (c d) S 7 42 42 0 -1 4194304 1 0 0 0 0 0 0 0 20 0 1 0 12345 1000 10 1".utf8)
        let stat = try #require(ProcessStat.parse(line[...]))
        #expect(stat == ProcessStat(state: "S", parent: 7, group: 42, startTime: 12345))
        #expect(ProcessStat.parse(Array("42 (x) S 7".utf8)[...]) == nil)
        #expect(ProcessStat.parse(Array("garbage".utf8)[...]) == nil)
    }

    @Test("the descriptors of this process, with what each link names")
    func descriptors() throws {
        let pipe = try Pipe()
        defer { close(pipe.readEnd); close(pipe.writeEnd) }
        let own = try #require(openDescriptors())
        #expect(own.contains(pipe.readEnd) && own.contains(pipe.writeEnd))
        #expect(try #require(openDescriptors(of: getpid())).contains(pipe.readEnd))
        #expect(descriptorTargets(of: getpid()).contains { $0.hasPrefix("pipe:[") })
        #expect(openDescriptors(of: 999_999_999) == nil)
        #expect(descriptorTargets(of: 999_999_999).isEmpty)
    }

    @Test func commandAndLinks() {
        #expect(processCommand(getpid()) != "?")
        #expect(processCommand(999_999_999) == "?")
        #expect(symbolicLinkTarget("/proc/self/exe")?.hasPrefix("/") == true)
        #expect(symbolicLinkTarget("/proc/self/stat") == nil)
        #expect(runsSameExecutable(as: getpid()))
    }

    private func spawnSleep() throws -> pid_t {
        var pid: pid_t = 0
        let arguments: [UnsafeMutablePointer<CChar>?] = [strdup("sleep"), strdup("30"), nil]
        defer { arguments.forEach { free($0) } }
        let result = posix_spawnp(&pid, "sleep", nil, nil, arguments, environ)
        try #require(result == 0)
        return pid
    }
}
