import CMaiSystem
import Glibc

/// How a process ended.
public enum ExitStatus: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Signal)

    init(waitStatus: Int32) {
        let low = waitStatus & 0x7f
        self = low == 0 ? .exited((waitStatus >> 8) & 0xff) : .signaled(Signal(low))
    }

    /// The status a shell reports: the exit code, or 128 + the signal number.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): signal.exitStatus
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .signaled(let signal): "signal \(signal)"
        }
    }
}

public enum ReapResult: Equatable, Sendable {
    case reaped(pid_t, ExitStatus)
    /// Children exist but none has exited.
    case noneExited
    /// No child process is left at all.
    case noChildren
}

/// Collects one exited child of any kind: our own, or an orphan that the kernel handed to us.
public func reapAnyChild() throws(SystemError) -> ReapResult {
    var status: Int32 = 0
    while true {
        let pid = systemCall("waitpid") { waitpid(-1, &status, WNOHANG) }
        if pid > 0 { return .reaped(pid, ExitStatus(waitStatus: status)) }
        if pid == 0 { return .noneExited }
        if errno == ECHILD { return .noChildren }
        if errno != EINTR { throw SystemError("waitpid") }
    }
}

public var isProcessOne: Bool { getpid() == 1 }

/// Makes orphaned descendants come to this process instead of the host's init, so it can reap them
/// when it is not PID 1 (run outside a container, or under another init).
public func becomeChildSubreaper() throws(SystemError) {
    if cmai_set_child_subreaper() != 0 { throw SystemError("prctl(PR_SET_CHILD_SUBREAPER)") }
}

/// The pids whose parent is this process, read from /proc.
public func directChildren() -> [pid_t] {
    let me = getpid()
    return processIDs().filter { $0 != me && parentOf($0) == me }
}

/// The parent pid from /proc/PID/stat: the field after the command name, which may itself hold spaces or ')'.
func parentOf(_ pid: pid_t) -> pid_t? {
    guard let text = try? readSmallFile("/proc/\(pid)/stat"),
          let close = text.lastIndex(of: ")") else { return nil }
    let fields = text[text.index(after: close)...].split(separator: " ")
    return fields.count > 1 ? pid_t(fields[1]) : nil
}

/// Reads a file of a few kilobytes (under /proc, for instance) whole.
public func readSmallFile(_ path: String) throws(SystemError) -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw SystemError("open(\(path))") }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw SystemError("read(\(path))")
        }
        if count == 0 { break }
        bytes.append(contentsOf: chunk[0..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Every process visible in /proc but this one: in a PID namespace of our own, what the child left behind.
public func allOtherProcesses() -> [pid_t] {
    let me = getpid()
    return processIDs().filter { $0 != me }
}

private func processIDs() -> [pid_t] {
    guard let directory = opendir("/proc") else { return [] }
    defer { closedir(directory) }
    var pids: [pid_t] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if let pid = pid_t(name) { pids.append(pid) }
    }
    return pids
}

/// Whether any child is left, without collecting one that has exited (the next CHLD does that).
public func hasChildren() throws(SystemError) -> Bool {
    var info = siginfo_t()
    while waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 {
        if errno == ECHILD { return false }
        if errno != EINTR { throw SystemError("waitid") }
    }
    return true
}

/// When the process started, in clock ticks after boot: field 22 of /proc/PID/stat (`starttime`, proc(5)).
/// With the pid it names one process for the machine's uptime: a pid is reused, a (pid, start) pair is not.
/// Nil when /proc cannot say (no such process, no /proc).
public func processStartTime(_ pid: pid_t) -> UInt64? {
    guard let text = try? readSmallFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
    // After ") ": state is field 3, so starttime (22) is the 20th field from there.
    let fields = text[text.index(after: close)...].split(separator: " ")
    return fields.count > 19 ? UInt64(fields[19]) : nil
}
