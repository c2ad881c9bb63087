import Glibc

/// A process that has a file open, as /proc shows it.
public struct FileOpener: Equatable, Sendable, CustomStringConvertible {
    public let pid: Int32
    public let command: String
    public let path: String

    public var description: String { "pid \(pid) (\(command)) has \(path) open" }
}

/// The processes other than this one that have one of `paths` open, found by reading the links in
/// /proc/PID/fd. Best effort: only the processes this one may inspect (all of them as root in the same PID
/// namespace; none of another container's), and a process may open the file just after the scan.
public func processesWithOpen(_ paths: [String]) -> [FileOpener] {
    let wanted = Set(paths)
    let me = getpid()
    var found: [FileOpener] = []
    for pid in processIDs() where pid != me {
        if let target = descriptorTargets(of: pid).first(where: wanted.contains) {
            found.append(FileOpener(pid: pid, command: processCommand(pid), path: target))
        }
    }
    return found
}
