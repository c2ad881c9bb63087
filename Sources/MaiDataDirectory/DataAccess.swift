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
    let folders = ancestors(of: dataDirectory)
    for folder in folders {
        guard let file = status(folder) else { break }
        if !account.may(.search, ownerUID: file.uid, ownerGID: file.gid, mode: file.permissions) {
            return "the server, run as \(account), cannot reach DATA_DIR \(dataDirectory): \(describe(folder, file)); \(remedy)"
        }
    }
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
