import Foundation
import Glibc
import Testing

/// Issue 19, point 2: `--chown-data` is safe on any tree the server's user can make, and refuses folders that
/// are not a data folder.
@Suite("--chown-data on any tree")
struct ChownDataSafetyTests {
    static let depth = 20_000

    @Test("a chain of 20,000 nested folders is walked (as PID 1) and handed over; the peak RSS is reported")
    func deepChain() throws {
        let data = try rootOwnedDataDirectory()
        defer { removeTree(data) }
        try makeChain(in: data, depth: Self.depth)
        // The child reads its supervisor's peak resident size: the walk happened before it was started.
        let run = try runProgram(["--user", "4300:4301", "--chown-data", "--", "sh", "-c", "grep VmHWM /proc/$PPID/status"],
                                 environment: ["DATA_DIR": data, "OPENROUTER_EXTERNAL_USER": ""],
                                 pidNamespace: true, workingDirectory: data + "/..", timeout: .seconds(120))
        #expect(run.process.terminationStatus == 0, "\(run.stderr)")
        let changed = run.stderr.firstMatch(of: #/DATA_DIR owner set to 4300:4301 \(--chown-data\): (\d+) of (\d+) paths changed/#)
        #expect(changed.map { $0.1 == $0.2 && Int($0.1) ?? 0 >= Self.depth + 2 } == true, "\(run.stderr)")
        #expect(deepestOwner(data, depth: Self.depth) == [4300, 4301])
        print("peak RSS of the \(Self.depth)-level walk: \(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))")
    }

    @Test("an empty DATA_DIR (the working directory) is refused for --chown-data; nothing changes owner")
    func emptyDataDirectory() throws {
        let folder = try rootOwnedDataDirectory()
        let run = try runProgram(["--user", "4300:4301", "--chown-data", "--", "true"],
                                 environment: ["DATA_DIR": "", "OPENROUTER_EXTERNAL_USER": ""], workingDirectory: folder)
        #expect(run.process.terminationStatus == 1, "\(run.stderr)")
        #expect(run.stderr.contains("error: refusing --chown-data: DATA_DIR is empty"), "\(run.stderr)")
        #expect(owner(folder) == [0, 0])
    }

    @Test("a DATA_DIR holding the program itself is refused for --chown-data; nothing changes owner")
    func folderOfTheProgram() throws {
        let folder = try rootOwnedDataDirectory()
        let copy = folder + "/bin/mai-entrypoint"
        try FileManager.default.createDirectory(atPath: folder + "/bin", withIntermediateDirectories: false)
        try FileManager.default.copyItem(atPath: programPath, toPath: copy)
        let program = try ProgramProcess(["--user", "4300:4301", "--chown-data", "--", "true"],
                                         environment: ["DATA_DIR": folder, "OPENROUTER_EXTERNAL_USER": ""],
                                         workingDirectory: folder, executable: copy)
        #expect(try program.wait() == 1, "\(program.stderr)")
        #expect(program.stderr.contains("error: refusing --chown-data: DATA_DIR \(folder) contains \(copy)"), "\(program.stderr)")
        #expect(owner(copy) == [0, 0] && owner(folder) == [0, 0])
    }

    @Test("a parent folder the user cannot search is named, without advising --chown-data; nothing changes owner")
    func blockingParent() throws {
        let root = try makeTemporaryDirectory().path
        let parent = root + "/private"
        let data = parent + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        chmod(parent, 0o700)
        let run = try runProgram(["--user", "4300:4301", "--chown-data", "--", "true"],
                                 environment: ["DATA_DIR": data, "OPENROUTER_EXTERNAL_USER": ""], workingDirectory: root)
        #expect(run.process.terminationStatus == 1, "\(run.stderr)")
        #expect(run.stderr.contains("cannot reach DATA_DIR \(data): \(parent) has owner 0:0 and mode 0700"), "\(run.stderr)")
        #expect(!run.stderr.contains("start with --chown-data"), "\(run.stderr)")
        #expect(owner(data) == [0, 0])
    }
}

/// `depth` nested folders `d` under `folder`, made from descriptors (their paths pass PATH_MAX).
private func makeChain(in folder: String, depth: Int) throws {
    var current = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    try #require(current >= 0)
    for _ in 0..<depth {
        try #require(mkdirat(current, "d", 0o755) == 0)
        let next = openat(current, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        close(current)
        try #require(next >= 0)
        current = next
    }
    let file = openat(current, "deepest", O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
    try #require(file >= 0)
    close(file)
    close(current)
}

/// Owner and group of the file at the bottom of the chain.
private func deepestOwner(_ folder: String, depth: Int) -> [UInt32]? {
    var current = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    for _ in 0..<depth where current >= 0 {
        let next = openat(current, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        close(current)
        current = next
    }
    guard current >= 0 else { return nil }
    defer { close(current) }
    var info = stat()
    guard fstatat(current, "deepest", &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
    return [info.st_uid, info.st_gid]
}

/// rm -rf copes with trees deeper than PATH_MAX.
private func removeTree(_ path: String) {
    _ = try? command("/bin/rm", ["-rf", path])
}
