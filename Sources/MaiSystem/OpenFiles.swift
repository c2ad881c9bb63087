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
    guard let proc = opendir("/proc") else { return [] }
    defer { closedir(proc) }
    var found: [FileOpener] = []
    let me = getpid()
    while let entry = readdir(proc) {
        guard let pid = Int32(entryName(entry)), pid != me else { continue }
        for target in descriptorTargets(pid) where wanted.contains(target) {
            found.append(FileOpener(pid: pid, command: processCommand(pid), path: target))
            break
        }
    }
    return found
}

/// This process's open descriptors (/proc/self/fd); nil when /proc cannot be read. The directory stream's own
/// descriptor is among the names read and is left out.
public func openDescriptors() -> Set<Int32>? {
    guard let directory = opendir("/proc/self/fd") else { return nil }
    defer { closedir(directory) }
    let own = dirfd(directory)
    var descriptors: Set<Int32> = []
    while let entry = readdir(directory) {
        if let fd = Int32(entryName(entry)), fd != own { descriptors.insert(fd) }
    }
    return descriptors
}

private func entryName(_ entry: UnsafeMutablePointer<dirent>) -> String {
    withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
}

private func descriptorTargets(_ pid: Int32) -> [String] {
    let folder = "/proc/\(pid)/fd"
    guard let directory = opendir(folder) else { return [] }
    defer { closedir(directory) }
    var targets: [String] = []
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    while let entry = readdir(directory) {
        let name = entryName(entry)
        guard name.first?.isNumber == true else { continue }
        let count = readlink("\(folder)/\(name)", &buffer, buffer.count - 1)
        if count > 0 { targets.append(String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)) }
    }
    return targets
}

/// /proc/PID/comm without its newline.
private func processCommand(_ pid: Int32) -> String {
    let fd = open("/proc/\(pid)/comm", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return "?" }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 64)
    let count = read(fd, &buffer, buffer.count)
    guard count > 0 else { return "?" }
    return String(decoding: buffer[..<count], as: UTF8.self).trimmingSuffixNewline()
}

extension String {
    fileprivate func trimmingSuffixNewline() -> String { hasSuffix("\n") ? String(dropLast()) : self }
}
