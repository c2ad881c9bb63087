import Glibc

/// Why a file could not be read; `notFound` is told apart because a missing default `.env` is not an error.
public enum FileReadError: Error, Equatable, Sendable {
    case notFound
    case failed(reason: String)

    public var reason: String {
        switch self {
        case .notFound: "no such file"
        case .failed(let reason): reason
        }
    }
}

/// Reads a whole regular file, refusing one larger than `limit` bytes: env, secret, key and account files are
/// small, and a runaway file (a log) must not be read into memory. Anything else (a FIFO, a socket, a device) is refused
/// without waiting on it: the program reads these files while every signal is blocked, so a read that never
/// returns would make it deaf to TERM.
///
/// `directory` (a descriptor) makes a relative `path` relative to it; `followLinks: false` refuses a symbolic
/// link as the last component (O_NOFOLLOW), for a file in a folder that someone else can write.
public func readFile(_ path: String, limit: Int, directory: Int32 = AT_FDCWD, followLinks: Bool = true) throws(FileReadError) -> [UInt8] {
    let fd = try openForReading(path, directory: directory, flags: followLinks ? 0 : O_NOFOLLOW)
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw .failed(reason: String(cString: strerror(errno))) }
    switch info.st_mode & S_IFMT {
    case S_IFREG: return try readAll(fd, limit: limit)
    case S_IFDIR: throw .failed(reason: "is a directory")
    case S_IFIFO: throw .failed(reason: "not a regular file (a FIFO)")
    case S_IFSOCK: throw .failed(reason: "not a regular file (a socket)")
    default: throw .failed(reason: "not a regular file (a device)")
    }
}

/// O_NONBLOCK because open(2) of a FIFO waits for a writer unless it is set (and opening a device may wait
/// too); it changes nothing for reading a regular file, which never blocks on it.
private func openForReading(_ path: String, directory: Int32, flags: Int32) throws(FileReadError) -> Int32 {
    while true {
        let fd = openat(directory, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | flags)
        if fd >= 0 { return fd }
        let code = errno
        if code == EINTR { continue }
        if code == ENOENT { throw .notFound }
        if code == ELOOP && flags & O_NOFOLLOW != 0 { throw .failed(reason: "is a symbolic link (not followed)") }
        throw .failed(reason: String(cString: strerror(code)))
    }
}

private func readAll(_ fd: Int32, limit: Int) throws(FileReadError) -> [UInt8] {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count == 0 { return bytes }
        if count < 0 {
            if errno == EINTR { continue }
            throw .failed(reason: String(cString: strerror(errno)))
        }
        bytes.append(contentsOf: chunk[0..<count])
        if bytes.count > limit { throw .failed(reason: "larger than \(limit) bytes") }
    }
}
