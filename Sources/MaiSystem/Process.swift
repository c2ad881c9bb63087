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
    return processIDs().filter { $0 != me && ProcessStat.of($0)?.parent == me }
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

/// Whether any child is left, without collecting one that has exited (the next CHLD does that).
public func hasChildren() throws(SystemError) -> Bool {
    var info = siginfo_t()
    while waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 {
        if errno == ECHILD { return false }
        if errno != EINTR { throw SystemError("waitid") }
    }
    return true
}
