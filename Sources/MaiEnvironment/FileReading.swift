import Glibc

/// Why a file could not be read; `notFound` is told apart because a missing default `.env` is not an error.
enum FileReadError: Error, Equatable {
    case notFound
    case failed(reason: String)

    var reason: String {
        switch self {
        case .notFound: "no such file"
        case .failed(let reason): reason
        }
    }
}

/// Reads a whole file, refusing one larger than `limit` bytes: env and secret files are small, and a runaway
/// file (a log, a device) must not be read into memory.
func readFile(_ path: String, limit: Int) throws(FileReadError) -> [UInt8] {
    let fd = try openForReading(path)
    defer { close(fd) }
    var info = stat()
    if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR { throw .failed(reason: "is a directory") }
    return try readAll(fd, limit: limit)
}

private func openForReading(_ path: String) throws(FileReadError) -> Int32 {
    while true {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 { return fd }
        let code = errno
        if code == EINTR { continue }
        if code == ENOENT { throw .notFound }
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
