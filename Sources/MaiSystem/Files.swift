import Glibc

/// Replaces the file at `path` with `contents` atomically: written to `path.tmp` beside it, then renamed over
/// it, so that a reader sees the old contents or the new, never a part (rename(2) within one file system). The
/// directory is made (0755) when missing. No fsync: the files written this way live under /run, a tmpfs that
/// does not outlive the machine's boot.
public func replaceFileAtomically(_ path: String, contents: String) throws(SystemError) {
    let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
    if !directory.isEmpty, systemCall("mkdir", { mkdir(directory, 0o755) }) != 0, errno != EEXIST {
        throw SystemError("mkdir(\(directory))")
    }
    let temporary = path + ".tmp"
    // O_NOFOLLOW: a link planted at the temporary name is not followed to some other file.
    let fd = systemCall("open") { open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644) }
    if fd < 0 { throw SystemError("open(\(temporary))") }
    var failure: SystemError?
    do {
        try writeAll(fd, contents)
    } catch {
        failure = SystemError("write(\(temporary))", errno: error.errno)
    }
    if close(fd) != 0 && failure == nil { failure = SystemError("close(\(temporary))") }
    if failure == nil, systemCall("rename", { rename(temporary, path) }) != 0 { failure = SystemError("rename(\(path))") }
    if let failure {
        unlink(temporary)
        throw failure
    }
}
