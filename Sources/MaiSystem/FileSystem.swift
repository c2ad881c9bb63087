import CMaiSystem
import Glibc

/// `count` bytes from the kernel's random pool (getrandom(2)); short reads and EINTR are retried.
public func randomBytes(_ count: Int) throws(SystemError) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    var filled = 0
    while filled < count {
        let result = bytes.withUnsafeMutableBytes { cmai_getrandom($0.baseAddress! + filled, count - filled) }
        if result < 0 {
            if errno == EINTR { continue }
            throw SystemError("getrandom")
        }
        filled += result
    }
    return bytes
}

/// Lower-case hexadecimal.
public func hexadecimal(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    for byte in bytes { text += [digits[Int(byte >> 4)], digits[Int(byte & 0xf)]] }
    return String(decoding: text, as: UTF8.self)
}

/// Gives `from` the name `to` in the same folder unless `to` exists (EEXIST then): renameat2(RENAME_NOREPLACE),
/// or, on a file system without it (EINVAL), link(2) and unlink(2), which never replace either.
public func renameWithoutReplacing(in directory: Int32, _ from: String, to: String) throws(SystemError) {
    if cmai_rename_noreplace(directory, from, directory, to) == 0 { return }
    guard errno == EINVAL else { throw SystemError("renameat2(\(to))") }
    if linkat(directory, from, directory, to, 0) != 0 { throw SystemError("link(\(to))") }
    _ = unlinkat(directory, from, 0)
}

/// A file's owner and mode, as lstat(2) or stat(2) gives them.
public struct FileStatus: Sendable, Equatable {
    public let uid: uid_t
    public let gid: gid_t
    /// The type and permission bits (st_mode).
    public let mode: mode_t

    public init(uid: uid_t, gid: gid_t, mode: mode_t) {
        self.uid = uid
        self.gid = gid
        self.mode = mode
    }

    init(_ info: stat) { self.init(uid: info.st_uid, gid: info.st_gid, mode: info.st_mode) }

    public var isDirectory: Bool { mode & S_IFMT == S_IFDIR }
    public var permissions: mode_t { mode & 0o7777 }
    /// `0755`
    public var octalPermissions: String {
        let digits = String(permissions, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// stat(2) (links followed) or lstat(2); nil when the path does not exist or cannot be examined.
    public static func of(_ path: String, followLinks: Bool = true) -> FileStatus? {
        var info = stat()
        guard (followLinks ? stat(path, &info) : lstat(path, &info)) == 0 else { return nil }
        return FileStatus(info)
    }
}

/// The path with every symbolic link resolved (realpath(3)); nil when some part does not exist.
public func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// Which file a path names: device and inode, as stat(2) gives them (links followed). Two paths name the same
/// file exactly when these are equal, whatever links or mounts lie between.
public struct FileIdentity: Hashable, Sendable, CustomStringConvertible {
    public let device: UInt64
    public let inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    /// `device:inode`, as `stat -c %d:%i` prints them.
    public var description: String { "\(device):\(inode)" }

    init(_ info: stat) { self.init(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) }

    public static func of(_ path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(info)
    }

    /// fstat(2) of an open descriptor: the file it holds, whatever its name is now.
    public static func of(descriptor: Int32) -> FileIdentity? {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        return FileIdentity(info)
    }
}
