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
public func changeOwnership(of directory: String, to credentials: Credentials) throws(SystemError) -> OwnershipReport {
    let top = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard top >= 0 else { throw SystemError("open(\(directory))") }
    defer { close(top) }
    var report = OwnershipReport()
    var info = stat()
    report.examined += 1
    if fstat(top, &info) != 0 {
        record(&report, directory, errno)
    } else if info.st_uid != credentials.uid || info.st_gid != credentials.gid {
        if fchown(top, credentials.uid, credentials.gid) == 0 { report.changed += 1 } else { record(&report, directory, errno) }
    }
    walk(top, path: directory, to: credentials, &report)
    return report
}

private func walk(_ folder: Int32, path: String, to credentials: Credentials, _ report: inout OwnershipReport) {
    for name in entries(of: folder, path: path, &report) {
        let child = path + "/" + name
        var info = stat()
        report.examined += 1
        guard fstatat(folder, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            record(&report, child, errno)
            continue
        }
        if info.st_uid != credentials.uid || info.st_gid != credentials.gid {
            if fchownat(folder, name, credentials.uid, credentials.gid, AT_SYMLINK_NOFOLLOW) == 0 {
                report.changed += 1
            } else {
                record(&report, child, errno)
            }
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { continue }
        let sub = openat(folder, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard sub >= 0 else {
            record(&report, child, errno)
            continue
        }
        walk(sub, path: child, to: credentials, &report)
        close(sub)
    }
}

/// The names in a folder, `.` and `..` left out; read whole before anything in it changes.
private func entries(of folder: Int32, path: String, _ report: inout OwnershipReport) -> [String] {
    let copy = dup(folder)
    guard copy >= 0, let stream = fdopendir(copy) else {
        record(&report, path, errno)
        if copy >= 0 { close(copy) }
        return []
    }
    defer { closedir(stream) }
    var names: [String] = []
    while let entry = readdir(stream) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

private func record(_ report: inout OwnershipReport, _ path: String, _ code: Int32) {
    report.failed += 1
    if report.firstFailure == nil { report.firstFailure = "\(path): \(String(cString: strerror(code)))" }
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
