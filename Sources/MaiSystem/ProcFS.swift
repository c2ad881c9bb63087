import Glibc

/// The one reader of each per-process file under /proc (proc(5)): the pids, /proc/PID/stat, /proc/PID/fd and
/// /proc/PID/comm. Everything here is best effort: a process may exit between the listing and the read, and
/// then it is simply missed (nil or empty), never an error the supervisor has to handle.

/// The pids listed in /proc (this process included); none when /proc cannot be read.
public func processIDs() -> [pid_t] {
    var pids: [pid_t] = []
    forEachEntry(of: "/proc") { name, _ in
        if let pid = pid_t(name) { pids.append(pid) }
    }
    return pids
}

/// The fields of /proc/PID/stat that the program uses: `PID (COMMAND) STATE PPID PGRP ... STARTTIME ...`.
/// COMMAND may hold blanks and ')', so the fields are counted from the last ')'.
public struct ProcessStat: Equatable, Sendable {
    /// Field 3: `R`, `S`, `D`, `Z` (zombie), `T`...
    public let state: Character
    /// Field 4.
    public let parent: pid_t
    /// Field 5: the process group.
    public let group: pid_t
    /// Field 22 (`starttime`): clock ticks after boot. With the pid it names one process for the machine's
    /// uptime: a pid is reused, a (pid, start) pair is not.
    public let startTime: UInt64

    /// Nil when the process does not exist (any more) or /proc cannot be read.
    public static func of(_ pid: pid_t) -> ProcessStat? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
        defer { close(fd) }
        // One read into one small buffer: this runs for every process on each scan of a tree. The kernel hands
        // out the line from its start; 512 bytes hold field 22 (a 64-byte COMMAND and 19 numbers of at most 20
        // digits), and what a longer line holds after it is not used.
        var buffer = [UInt8](repeating: 0, count: 512)
        var count = -1
        while count < 0 {
            count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno != EINTR { return nil }
        }
        return parse(buffer[0..<count])
    }

    /// The fields of a stat line, or nil when it is not one.
    static func parse(_ line: ArraySlice<UInt8>) -> ProcessStat? {
        guard let commandEnd = line.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // After ") ": STATE is field 3, so field N is at index N - 3.
        let fields = line[(commandEnd + 1)...].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        guard fields.count > 19, fields[0].count == 1, let state = fields[0].first,
              let parent = number(fields[1]).flatMap({ pid_t(exactly: $0) }),
              let group = number(fields[2]).flatMap({ pid_t(exactly: $0) }),
              let startTime = number(fields[19]) else { return nil }
        return ProcessStat(state: Character(Unicode.Scalar(state)), parent: parent, group: group, startTime: startTime)
    }

    /// Decimal digits, at most 19 (no overflow); nil for anything else.
    private static func number(_ digits: ArraySlice<UInt8>) -> UInt64? {
        guard !digits.isEmpty, digits.count <= 19 else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        return value
    }
}

/// The descriptors a process has open (nil: this one), from the names in /proc/PID/fd; nil when the folder
/// cannot be read (the process is gone, or is not ours to inspect). Reading our own leaves out the descriptor
/// of the directory stream doing the reading.
public func openDescriptors(of pid: pid_t? = nil) -> Set<Int32>? {
    let own = pid == nil || pid == getpid()
    var descriptors: Set<Int32> = []
    let opened = forEachEntry(of: "/proc/\(pid.map(String.init) ?? "self")/fd") { name, stream in
        if let fd = Int32(name), !(own && fd == stream) { descriptors.insert(fd) }
    }
    return opened ? descriptors : nil
}

/// What each open descriptor of the process refers to: the text of its /proc/PID/fd link, a path for a file,
/// `socket:[INODE]`, `pipe:[INODE]` and the like otherwise. A descriptor closed meanwhile is missed.
public func descriptorTargets(of pid: pid_t) -> [String] {
    (openDescriptors(of: pid) ?? []).sorted().compactMap { symbolicLinkTarget("/proc/\(pid)/fd/\($0)") }
}

/// /proc/PID/comm without its newline (the first 15 bytes of the program's name); "?" when it cannot be read.
public func processCommand(_ pid: pid_t) -> String {
    guard let text = try? readSmallFile("/proc/\(pid)/comm"), !text.isEmpty else { return "?" }
    return text.hasSuffix("\n") ? String(text.dropLast()) : text
}

/// Whether /proc shows the process (a zombie included).
public func processExists(_ pid: pid_t) -> Bool {
    access("/proc/\(pid)/stat", F_OK) == 0
}

/// `root` and every process descending from it, root first, from the parent pids in /proc/PID/stat.
/// A process that exits meanwhile is simply missed: the next scan sees the tree as it is then.
public func processTree(root: pid_t) -> [pid_t] {
    var children: [pid_t: [pid_t]] = [:]
    for pid in processIDs() {
        if let parent = ProcessStat.of(pid)?.parent { children[parent, default: []].append(pid) }
    }
    guard children[root] != nil || processExists(root) else { return [] }
    var tree = [root]
    var index = 0
    while index < tree.count {
        tree += children[tree[index]] ?? []
        index += 1
    }
    return tree
}

/// Whether the process runs this very program (same file, compared by device and inode, whatever its path).
public func runsSameExecutable(as pid: pid_t) -> Bool {
    guard let mine = FileIdentity.of("/proc/self/exe"), let theirs = FileIdentity.of("/proc/\(pid)/exe") else { return false }
    return mine == theirs
}

/// readlink(2): where a symbolic link points; nil when it cannot be read (or is not a link: EINVAL).
public func symbolicLinkTarget(_ path: String) -> String? {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(PATH_MAX)) { space in
        guard let base = space.baseAddress else { return nil }
        let count = readlink(path, base, space.count)
        guard count > 0 else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: base, count: count), as: UTF8.self)
    }
}

/// Calls `body` with each name in the folder (`.` and `..` included) and the directory stream's own descriptor;
/// false when the folder cannot be opened.
@discardableResult
private func forEachEntry(of path: String, _ body: (String, Int32) -> Void) -> Bool {
    guard let directory = opendir(path) else { return false }
    defer { closedir(directory) }
    let own = dirfd(directory)
    while let entry = readdir(directory) {
        body(withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }, own)
    }
    return true
}
