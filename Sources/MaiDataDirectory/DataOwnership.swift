import Glibc
import MaiSystem

/// What `--chown-data` did: how many paths it looked at, changed, and could not change.
public struct OwnershipReport: Sendable, Equatable {
    public var examined = 0
    public var changed = 0
    public var failed = 0
    /// The first failure, `PATH: REASON`, for the log line.
    public var firstFailure: String?

    public init(examined: Int = 0, changed: Int = 0, failed: Int = 0, firstFailure: String? = nil) {
        self.examined = examined
        self.changed = changed
        self.failed = failed
        self.firstFailure = firstFailure
    }
}

/// `chown -R -P UID:GID DIRECTORY`, touching only what differs: the folder and everything under it get the
/// owner and group, symbolic links themselves (lchown) and never what they point to, and the walk never leaves
/// the tree through one: every folder is opened relative to its parent with O_NOFOLLOW, so a link put in place
/// of a folder meanwhile is not entered. `directory` itself may be a link (DATA_DIR often is, and Open WebUI
/// follows it). The kernel clears the set-user-ID and set-group-ID bits of a file whose owner root changes,
/// as chown(1) does.
///
/// The server's user can make any tree here, 20,000 folders deep or more: the walk is a loop over a stack of
/// folders, not a recursion (which overflows the thread's stack), and only the folder being read is open. It
/// goes back up through `..`, checked to be the very folder it came from (device and inode): a folder moved
/// elsewhere meanwhile stops the walk rather than leading it out of the tree. Names are kept as bytes, never
/// as paths (which pass PATH_MAX at such depths); the working directory is never changed. Memory: the names
/// still to visit in each folder on the way down, so the tree's width, not its size.
public func changeOwnership(of directory: String, to credentials: Credentials) throws(SystemError) -> OwnershipReport {
    let top = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard top >= 0 else { throw SystemError("open(\(directory))") }
    var walk = OwnershipWalk(top: top, path: directory, credentials: credentials)
    walk.visitTop()
    walk.run()
    return walk.report
}

/// One folder on the way down: its identity (to check the way back up), its name in its parent, and the names
/// in it still to visit.
private struct Folder {
    var descriptor: Int32
    let identity: FileIdentity
    let name: [CChar]
    var pending: [[CChar]]
}

private struct OwnershipWalk {
    let credentials: Credentials
    let topPath: String
    var report = OwnershipReport()
    var stack: [Folder] = []

    init(top: Int32, path: String, credentials: Credentials) {
        self.credentials = credentials
        topPath = path
        stack = [Folder(descriptor: top, identity: identity(of: top), name: [0], pending: [])]
    }

    /// The folder itself (opened through a link, if it is one).
    mutating func visitTop() {
        var info = stat()
        report.examined += 1
        if fstat(stack[0].descriptor, &info) != 0 {
            record(errno, nil)
        } else if differs(info) {
            if fchown(stack[0].descriptor, credentials.uid, credentials.gid) == 0 { report.changed += 1 } else { record(errno, nil) }
        }
        stack[0].pending = names(in: stack[0].descriptor, nil)
    }

    mutating func run() {
        while let last = stack.indices.last {
            if let name = stack[last].pending.popLast() {
                visit(name)
            } else if !ascend() {
                break
            }
        }
        for folder in stack where folder.descriptor >= 0 { close(folder.descriptor) }
    }

    /// One entry of the current folder: its owner changed when it differs; a folder is then entered.
    private mutating func visit(_ name: [CChar]) {
        let folder = stack[stack.count - 1].descriptor
        var info = stat()
        report.examined += 1
        guard fstatat(folder, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return record(errno, name) }
        if differs(info) {
            if fchownat(folder, name, credentials.uid, credentials.gid, AT_SYMLINK_NOFOLLOW) == 0 {
                report.changed += 1
            } else {
                record(errno, name)
            }
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { return }
        let sub = openat(folder, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard sub >= 0 else { return record(errno, name) }
        // Only the folder being read stays open: a deep chain would otherwise need a descriptor per level.
        close(folder)
        stack[stack.count - 1].descriptor = -1
        stack.append(Folder(descriptor: sub, identity: identity(of: sub), name: name, pending: []))
        stack[stack.count - 1].pending = names(in: sub, nil)
    }

    /// The folder's entries; a folder that cannot be read is counted as a failure, with nothing in it.
    private mutating func names(in folder: Int32, _ name: [CChar]?) -> [[CChar]] {
        guard let names = entries(of: folder) else {
            record(errno, name)
            return []
        }
        return names
    }

    /// Back to the parent through `..`; false (and the walk ends) at the top, or when `..` is no longer the
    /// folder the walk came down from.
    private mutating func ascend() -> Bool {
        guard let done = stack.popLast() else { return false }
        guard let parentIndex = stack.indices.last else {
            close(done.descriptor)
            return false
        }
        let parent = openat(done.descriptor, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        let code = errno
        close(done.descriptor)
        guard parent >= 0, identity(of: parent) == stack[parentIndex].identity else {
            if parent >= 0 { close(parent) }
            record(parent >= 0 ? ESTALE : code, nil, note: "moved during the walk; stopped")
            stack.removeAll()
            return false
        }
        stack[parentIndex].descriptor = parent
        return true
    }

    private func differs(_ info: stat) -> Bool { info.st_uid != credentials.uid || info.st_gid != credentials.gid }

    /// Counts a failure; the first is kept with its path, built only then (from the names on the way down).
    private mutating func record(_ code: Int32, _ name: [CChar]?, note: String? = nil) {
        report.failed += 1
        guard report.firstFailure == nil else { return }
        let names = stack.dropFirst().map(\.name) + (name.map { [$0] } ?? [])
        let path = ([topPath] + names.map { String(decoding: $0.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self) }).joined(separator: "/")
        report.firstFailure = "\(path): \(note ?? String(cString: strerror(code)))"
    }
}

/// 0:0 when fstat fails: it then matches no folder's identity.
private func identity(of descriptor: Int32) -> FileIdentity {
    FileIdentity.of(descriptor: descriptor) ?? FileIdentity(device: 0, inode: 0)
}

/// The names in a folder as bytes (NUL-terminated), `.` and `..` left out; read whole before anything in it changes.
private func entries(of folder: Int32) -> [[CChar]]? {
    let copy = dup(folder)
    guard copy >= 0, let stream = fdopendir(copy) else {
        let code = errno
        if copy >= 0 { close(copy) }
        errno = code
        return nil
    }
    defer { closedir(stream) }
    var names: [[CChar]] = []
    while let entry = readdir(stream) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            raw.prefix { $0 != 0 }.map { CChar(bitPattern: $0) } + [0]
        }
        if name != [46, 0] && name != [46, 46, 0] { names.append(name) }
    }
    return names.reversed()
}

/// Paths this program may create for the server before it starts (the SQLite database, its folders, its
/// journal files): the ones missing now are handed to the server's user once created, and no others.
public struct CreatedPaths: Sendable {
    private let missing: [String]

    public init(watching paths: [String]) {
        missing = paths.filter { FileStatus.of($0, followLinks: false) == nil }
    }

    /// The SQLite database at `path`, its -wal, -shm and -journal files, and the folders above it.
    public static func sqlite(_ path: String) -> [String] {
        var folders: [String] = []
        var folder = path
        while let slash = folder.lastIndex(of: "/"), slash != folder.startIndex {
            folder = String(folder[..<slash])
            folders.append(folder)
        }
        return folders.reversed() + [path, path + "-wal", path + "-shm", path + "-journal"]
    }

    /// lchown of each watched path that exists now; returns those changed.
    public func giveToOwner(_ credentials: Credentials) -> [String] {
        missing.filter { path in
            FileStatus.of(path, followLinks: false) != nil && lchown(path, credentials.uid, credentials.gid) == 0
        }
    }
}
