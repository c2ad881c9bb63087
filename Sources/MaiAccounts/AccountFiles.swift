import Glibc
import MaiSystem

/// One line of /etc/passwd: `name:password:uid:gid:gecos:home:shell`.
public struct PasswdEntry: Sendable, Equatable {
    public let name: String
    public let uid: uid_t
    public let gid: gid_t
    public let home: String

    public init(name: String, uid: uid_t, gid: gid_t, home: String) {
        self.name = name
        self.uid = uid
        self.gid = gid
        self.home = home
    }
}

/// One line of /etc/group: `name:password:gid:member,member`.
public struct GroupEntry: Sendable, Equatable {
    public let name: String
    public let gid: gid_t
    public let members: [String]
}

/// The users and groups of the image, read from the files themselves, as Docker and runc resolve `--user` (and
/// compose's `user:`): from the container's own `/etc/passwd` and `/etc/group`, never through NSS (the binary
/// links glibc dynamically and could load NSS modules; a container's users are these files, whatever
/// `/etc/nsswitch.conf` says, so `--user` means here what it means to `docker run --user`). Lines are read as glibc's `files` backend reads them:
/// blank lines, `#` comments and the `+`/`-` lines of the compat backend are skipped, and so is a line whose
/// fields do not parse (too few, an id that is not a decimal number below 2^32-1); the first entry of a name or
/// id wins, as getpwnam(3) and getpwuid(3) return the first match. A line's trailing CR is dropped, so a file
/// saved with Windows line ends still names its members.
public struct AccountFiles: Sendable, Equatable {
    public let users: [PasswdEntry]
    public let groups: [GroupEntry]

    public static let passwdPath = "/etc/passwd"
    public static let groupPath = "/etc/group"
    /// Far above any real file; a runaway file is refused rather than read into memory.
    static let sizeLimit = 16 << 20

    public init(passwd: String, group: String) {
        users = lines(passwd).compactMap(parsePasswd)
        groups = lines(group).compactMap(parseGroup)
    }

    /// Reads /etc/passwd and /etc/group; a missing /etc/group counts as empty (minimal images have none).
    public static func load() throws(AccountError) -> AccountFiles {
        func text(_ path: String, required: Bool) throws(AccountError) -> String {
            do {
                return String(decoding: try readFile(path, limit: sizeLimit), as: UTF8.self)
            } catch .notFound where !required {
                return ""
            } catch {
                throw .unreadable(path: path, reason: error.reason)
            }
        }
        return AccountFiles(passwd: try text(passwdPath, required: true), group: try text(groupPath, required: false))
    }

    public func user(named name: String) -> PasswdEntry? { users.first { $0.name == name } }
    public func user(id uid: uid_t) -> PasswdEntry? { users.first { $0.uid == uid } }
    public func group(named name: String) -> GroupEntry? { groups.first { $0.name == name } }

    /// The groups that list `name` as a member, in the file's order.
    public func groups(listing name: String) -> [GroupEntry] { groups.filter { $0.members.contains(name) } }
}

/// Lines split at LF, a CRLF counting as one line end (Swift reads CRLF as one character).
private func lines(_ text: String) -> [Substring] {
    text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" })
}

/// Leading blanks skipped; nil for a comment, a blank line or a compat-backend line.
private func content(_ line: Substring) -> Substring? {
    let text = line.drop { $0 == " " || $0 == "\t" }
    guard let first = text.first, first != "#", first != "+", first != "-" else { return nil }
    return text
}

private func parsePasswd(_ line: Substring) -> PasswdEntry? {
    guard let text = content(line) else { return nil }
    let fields = text.split(separator: ":", omittingEmptySubsequences: false)
    guard fields.count >= 7, !fields[0].isEmpty, let uid = accountID(fields[2]), let gid = accountID(fields[3]) else {
        return nil
    }
    return PasswdEntry(name: String(fields[0]), uid: uid, gid: gid, home: String(fields[5]))
}

private func parseGroup(_ line: Substring) -> GroupEntry? {
    guard let text = content(line) else { return nil }
    let fields = text.split(separator: ":", omittingEmptySubsequences: false)
    guard fields.count >= 4, !fields[0].isEmpty, let gid = accountID(fields[2]) else { return nil }
    let members = fields[3].split(separator: ",").map { String($0.filter { $0 != " " && $0 != "\t" }) }.filter { !$0.isEmpty }
    return GroupEntry(name: String(fields[0]), gid: gid, members: members)
}

/// A decimal id below 2^32-1 ((uid_t)-1 means "unchanged" to setuid's relatives and is nobody's id).
func accountID<S: StringProtocol>(_ text: S) -> UInt32? {
    guard !text.isEmpty, text.utf8.count <= 10, text.utf8.allSatisfy({ (48...57).contains($0) }),
          let value = UInt64(text), value < UInt64(UInt32.max) else { return nil }
    return UInt32(value)
}

/// Why an account cannot be used; the line names the file or the value.
public enum AccountError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case noSuchUser(String)
    case noSuchGroup(String)
    case groupNeeded(uid: uid_t)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .noSuchUser(let name): "no user \(name) in \(AccountFiles.passwdPath)"
        case .noSuchGroup(let name): "no group \(name) in \(AccountFiles.groupPath)"
        case .groupNeeded(let uid):
            "uid \(uid) has no entry in \(AccountFiles.passwdPath), so its group is unknown: give it as \(uid):GID"
        }
    }
}
