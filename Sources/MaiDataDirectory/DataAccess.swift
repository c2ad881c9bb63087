import Glibc
import MaiAccounts
import MaiSystem

/// Why the server, run as `account`, could not use its data: the first folder on the way to DATA_DIR it may
/// not search, DATA_DIR if it may not create files in it, or the SQLite database if it may not read and write
/// it. One line, naming the path, its owner and mode, and the user. The check reads the mode bits only (a
/// POSIX ACL that grants more is not seen); a path that does not exist is no problem here (it will be made).
public func dataAccessProblem(dataDirectory: String, database: String?, account: Account,
                              status: (String) -> FileStatus? = { FileStatus.of($0) }) -> String? {
    guard account.uid != 0 else { return nil }
    let remedy = "start with --chown-data (MAI_ENTRYPOINT_CHOWN_DATA=true) to make DATA_DIR owned by \(account.credentials), or change its owner"
    func describe(_ path: String, _ file: FileStatus) -> String {
        "\(path) has owner \(file.uid):\(file.gid) and mode \(file.octalPermissions)"
    }
    if let problem = ancestorProblem(dataDirectory: dataDirectory, account: account, status: status) { return problem }
    if let file = status(dataDirectory),
       !account.may([.write, .search], ownerUID: file.uid, ownerGID: file.gid, mode: file.permissions) {
        return "the server, run as \(account), cannot write to DATA_DIR: \(describe(dataDirectory, file)); \(remedy)"
    }
    if let database, let file = status(database),
       !account.may([.read, .write], ownerUID: file.uid, ownerGID: file.gid, mode: file.permissions) {
        return "the server, run as \(account), cannot write its database: \(describe(database, file)); \(remedy)"
    }
    return nil
}

/// The first folder above DATA_DIR that the server's user may not search (enter), named with its owner and
/// mode. --chown-data changes DATA_DIR and what is in it, never the folders above, so it is not advised here.
public func ancestorProblem(dataDirectory: String, account: Account,
                            status: (String) -> FileStatus? = { FileStatus.of($0) }) -> String? {
    guard account.uid != 0 else { return nil }
    for folder in ancestors(of: dataDirectory) {
        guard let file = status(folder) else { break }
        if !account.may(.search, ownerUID: file.uid, ownerGID: file.gid, mode: file.permissions) {
            return "the server, run as \(account), cannot reach DATA_DIR \(dataDirectory): \(folder) has owner \(file.uid):\(file.gid) and mode \(file.octalPermissions); let that user enter it (for example chmod o+x \(folder)), or choose a DATA_DIR it can reach (--chown-data changes only DATA_DIR and what is in it)"
        }
    }
    return nil
}

/// Why --chown-data must not run on this DATA_DIR, or nil: it would hand the server's user the working
/// directory (an empty DATA_DIR; with the working directory `/`, the whole file system), the root, a system
/// folder (or a folder holding one), or the program that runs as root. `given` is DATA_DIR as set, `resolved`
/// its real path; `protected` are the system folders as written and as they resolve (`/bin` is `/usr/bin` on
/// Debian 12).
public func chownDataRefusal(given: String?, resolved: String, program: String,
                             protected: [String] = systemFolders()) -> String? {
    if given?.isEmpty == true { return "DATA_DIR is empty (it would be the working directory, \(resolved))" }
    if resolved == "/" { return "DATA_DIR \(given ?? resolved) resolves to /" }
    for folder in [program] + protected {
        if folder == resolved { return "DATA_DIR \(resolved) is \(folder)" }
        if folder.hasPrefix(resolved + "/") { return "DATA_DIR \(resolved) contains \(folder)" }
    }
    return nil
}

/// `/etc`, `/usr`, `/bin`, `/lib`, `/proc`, and the real paths of those that are links.
public func systemFolders() -> [String] {
    let folders = ["/etc", "/usr", "/bin", "/lib", "/proc"]
    return folders + folders.compactMap { folder in realPath(folder).flatMap { $0 == folder ? nil : $0 } }
}

/// `/a`, `/a/b` for `/a/b/c`.
func ancestors(of path: String) -> [String] {
    var result: [String] = []
    var current = ""
    let components = path.split(separator: "/")
    for component in components.dropLast() {
        current += "/" + component
        result.append(current)
    }
    return path.hasPrefix("/") ? result : []
}

/// `mkdir -p`, each folder made with mode 0755; returns the folders it made, outermost first.
public func makeDirectories(_ path: String) throws(SystemError) -> [String] {
    var made: [String] = []
    var prefix = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
        prefix += "/" + component
        if mkdir(prefix, 0o755) == 0 {
            made.append(prefix)
        } else if errno != EEXIST {
            throw SystemError("mkdir(\(prefix))")
        }
    }
    return made
}
