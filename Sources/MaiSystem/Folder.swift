import CMaiSystem
import Glibc

/// A folder held by a descriptor, and what is in it reached by one name from that descriptor without following
/// a symbolic link. This program runs as root; the folders it works in (DATA_DIR, its `backups`) belong to the
/// server's user, who can put a link where a file or folder of ours should be, or swap one in between a check
/// and a use. A name looked up from the descriptor with O_NOFOLLOW / AT_SYMLINK_NOFOLLOW is the entry itself: a
/// link there fails with ELOOP (`SystemError.isLink`), and the folder cannot be swapped while it is held.
/// Names are single components: one with a `/` is refused (EINVAL), so nothing is reached outside the folder.
public final class Folder {
    /// The folder's path, for messages only: nothing is looked up by it after `init`.
    public let path: String
    public let descriptor: Int32

    /// Opens `path` (followed: DATA_DIR as the operator names it, a link there included). The descriptor is
    /// O_PATH: it needs only search permission on the way, as a lookup by name does.
    public init(_ path: String) throws(SystemError) {
        let fd = systemCall("open") { cmai_open_folder(AT_FDCWD, path, 0) }
        if fd < 0 { throw SystemError("open(\(path))") }
        self.path = path
        descriptor = fd
    }

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// `name` as a path, for messages.
    public func path(of name: String) -> String { (path.hasSuffix("/") ? path : path + "/") + name }

    /// The folder `name` in this one; made with `create`'s mode first when given and missing. A link there
    /// (even to a folder) is ELOOP.
    public func folder(_ name: String, create: mode_t? = nil) throws(SystemError) -> Folder {
        try checkName(name)
        if let create, systemCall("mkdirat", { mkdirat(descriptor, name, create) }) != 0, errno != EEXIST {
            throw SystemError("mkdir(\(path(of: name)))")
        }
        let fd = systemCall("openat") { cmai_open_folder(descriptor, name, 1) }
        if fd < 0 {
            // With O_DIRECTORY, Linux says ENOTDIR for a link before O_NOFOLLOW's ELOOP.
            let code = errno == ENOTDIR && status(name).map { $0.mode & S_IFMT == S_IFLNK } == true ? ELOOP : errno
            throw SystemError("open(\(path(of: name)))", errno: code)
        }
        return Folder(path: path(of: name), descriptor: fd)
    }

    /// openat(2) of `name` with O_NOFOLLOW and O_CLOEXEC added; the caller closes the descriptor.
    public func open(_ name: String, _ flags: Int32, mode: mode_t = 0o600) throws(SystemError) -> Int32 {
        try checkName(name)
        while true {
            let fd = systemCall("openat") { openat(descriptor, name, flags | O_NOFOLLOW | O_CLOEXEC, mode) }
            if fd >= 0 { return fd }
            if errno != EINTR { throw SystemError("open(\(path(of: name)))") }
        }
    }

    /// lstat(2) of the entry `name`; nil when there is none (or it cannot be examined).
    public func status(_ name: String) -> FileStatus? {
        var info = stat()
        guard !name.contains("/"), fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        return FileStatus(info)
    }

    /// The entry `name` as a file: its identity and size when it is a regular file, nil when there is none;
    /// ELOOP for a link, EINVAL for anything else (a folder, a FIFO).
    public func regularFile(_ name: String) throws(SystemError) -> (identity: FileIdentity, bytes: Int64)? {
        try checkName(name)
        var info = stat()
        guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return nil }
            throw SystemError("stat(\(path(of: name)))")
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return (FileIdentity(info), Int64(info.st_size))
        case S_IFLNK: throw SystemError("open(\(path(of: name)))", errno: ELOOP)
        default: throw SystemError("open(\(path(of: name))): not a regular file", errno: EINVAL)
        }
    }

    /// renameat(2) within the folder; `replacing: false` never replaces what has the name `to` (EEXIST).
    /// A rename moves the entry itself: a link at either name is never followed.
    public func rename(_ from: String, to: String, replacing: Bool) throws(SystemError) {
        try checkName(from)
        try checkName(to)
        if !replacing { return try renameWithoutReplacing(in: descriptor, from, to: to) }
        if systemCall("renameat", { renameat(descriptor, from, descriptor, to) }) != 0 {
            throw SystemError("rename(\(path(of: from)), \(path(of: to)))")
        }
    }

    /// unlinkat(2): the entry itself goes (a link, never its target). False when it failed (errno kept).
    @discardableResult
    public func remove(_ name: String) -> Bool {
        !name.contains("/") && systemCall("unlinkat") { unlinkat(descriptor, name, 0) } == 0
    }

    /// The names in the folder, `.` and `..` left out.
    public func names() throws(SystemError) -> [String] {
        // fdopendir takes the descriptor it is given: a duplicate, so that this one stays open.
        let fd = systemCall("openat") { openat(descriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0, let stream = fdopendir(fd) else {
            let failure = SystemError("open(\(path))")
            if fd >= 0 { close(fd) }
            throw failure
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Bytes free for an unprivileged writer (fstatvfs: f_bavail blocks).
    public func availableBytes() throws(SystemError) -> Int64 {
        var info = statvfs()
        guard fstatvfs(descriptor, &info) == 0 else { throw SystemError("statvfs(\(path))") }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// Makes the folder's entries (a rename, a new file) durable; a failure is ignored (the data was synced).
    /// fsync needs a descriptor that is open for reading, which an O_PATH one is not.
    public func sync() {
        let fd = openat(descriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    private func checkName(_ name: String) throws(SystemError) {
        if name.isEmpty || name.contains("/") || name == "." || name == ".." {
            throw SystemError("\(path(of: name)): not a name in the folder", errno: EINVAL)
        }
    }
}

extension SystemError {
    /// An O_NOFOLLOW open (or a `Folder` lookup) met a symbolic link.
    public var isLink: Bool { errno == ELOOP }
}
