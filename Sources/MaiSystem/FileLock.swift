import Glibc

/// An exclusive `flock` on a file, held as long as the value lives (the kernel drops it when the last
/// descriptor of the open file description is closed, so also when the process dies, however it dies).
/// The descriptor is O_CLOEXEC, and children get closefrom(3) besides: a server started while the lock is held
/// never holds it, so a server left running by a killed supervisor cannot keep the next one out.
///
/// The holder writes `HOSTNAME PID` into the file, so that whoever waits can name it. flock(2) and the text are
/// separate: the text of a holder that died stays in the file until the next holder overwrites it, so it is
/// read only while the lock is found held.
public final class FileLock {
    public let path: String
    private let descriptor: Int32

    /// Who holds a lock, as the holder wrote it; nil fields when the file held nothing readable yet.
    public struct Holder: Equatable, Sendable, CustomStringConvertible {
        public let hostname: String?
        public let pid: Int32?

        public init(text: String) {
            let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
            hostname = fields.first.map(String.init)
            pid = fields.count > 1 ? Int32(fields[1]) : nil
        }

        public var description: String {
            guard let hostname, let pid else { return "an unknown holder (the lock file names none yet)" }
            return "pid \(pid) on host \(hostname)"
        }
    }

    public enum Attempt {
        case acquired(FileLock)
        case held(by: Holder)
    }

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Tries once, without waiting. The file is created (0644) when missing; it is never deleted, since a
    /// deleted lock file lets a second process lock a new file of the same name while the first still holds
    /// the old one.
    public static func tryAcquire(_ path: String) throws(SystemError) -> Attempt {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        if fd < 0 { throw SystemError("open(\(path))") }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let failure = SystemError("flock(\(path))")
            defer { close(fd) }
            guard failure.errno == EWOULDBLOCK else { throw failure }
            return .held(by: Holder(text: readText(fd)))
        }
        let lock = FileLock(path: path, descriptor: fd)
        lock.recordHolder()
        return .acquired(lock)
    }

    /// `HOSTNAME PID\n`, replacing what an earlier holder wrote; a failed write leaves the lock held, unnamed.
    private func recordHolder() {
        let text = "\(currentHostname()) \(getpid())\n"
        guard ftruncate(descriptor, 0) == 0 else { return }
        var bytes = Array(text.utf8)
        _ = pwrite(descriptor, &bytes, bytes.count, 0)
    }
}

private func readText(_ fd: Int32) -> String {
    var buffer = [UInt8](repeating: 0, count: 512)
    let count = pread(fd, &buffer, buffer.count, 0)
    return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : ""
}

/// The host's name as gethostname(2) gives it (in a container: the container's); `unknown` when it fails.
public func currentHostname() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
