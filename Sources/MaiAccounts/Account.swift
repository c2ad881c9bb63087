import Glibc
import MaiSystem

/// Whom the server runs as: the credentials to apply, and the HOME that goes with them.
public struct Account: Sendable, Equatable, CustomStringConvertible {
    /// The user's name when /etc/passwd has one for it.
    public let name: String?
    public let credentials: Credentials
    /// The home folder from /etc/passwd; nil without an entry (HOME is then left as the environment has it,
    /// as docker run --user does).
    public let home: String?

    public init(name: String?, credentials: Credentials, home: String?) {
        self.name = name
        self.credentials = credentials
        self.home = home
    }

    public var uid: uid_t { credentials.uid }
    public var gid: gid_t { credentials.gid }

    /// What initgroups(3) and docker run --user decide, from the files only:
    ///
    /// - NAME: its passwd entry (an error when there is none); UID: the first entry with that id, if any;
    /// - the group given (by name from /etc/group, or a number), else the entry's group; a UID without an entry
    ///   and without a group is refused rather than run with group 0 (docker's choice) or its own number;
    /// - the supplementary groups: the primary group first, then every group of /etc/group that lists the
    ///   user's name as a member (none for a UID without a name).
    public static func resolve(_ spec: UserSpec, in files: AccountFiles) throws(AccountError) -> Account {
        let entry: PasswdEntry?
        let uid: uid_t
        switch spec.user {
        case .name(let name):
            guard let found = files.user(named: name) else { throw .noSuchUser(name) }
            entry = found
            uid = found.uid
        case .id(let id):
            entry = files.user(id: id)
            uid = id
        }
        let gid: gid_t
        switch spec.group {
        case .name(let name)?:
            guard let group = files.group(named: name) else { throw .noSuchGroup(name) }
            gid = group.gid
        case .id(let id)?:
            gid = id
        case nil:
            guard let entry else { throw .groupNeeded(uid: uid) }
            gid = entry.gid
        }
        var groups = [gid]
        if let name = entry?.name {
            for group in files.groups(listing: name) where !groups.contains(group.gid) { groups.append(group.gid) }
        }
        let home = entry.flatMap { $0.home.isEmpty ? nil : $0.home }
        return Account(name: entry?.name, credentials: Credentials(uid: uid, gid: gid, groups: groups), home: home)
    }

    /// `app (1000:1000)`, or `1000:1000` without a name.
    public var description: String { name.map { "\($0) (\(credentials))" } ?? credentials.description }

    /// What the kernel grants this account on a file with that owner and mode, from the mode bits (no ACLs):
    /// the owner's bits when it owns the file, else the group's when the file's group is one of its groups,
    /// else the others'. Root is granted everything (CAP_DAC_OVERRIDE; execute needs some x bit, not asked here).
    public func may(_ access: FileAccess, ownerUID: uid_t, ownerGID: gid_t, mode: mode_t) -> Bool {
        if uid == 0 { return true }
        let shift: mode_t = ownerUID == uid ? 6 : credentials.groups.contains(ownerGID) || ownerGID == gid ? 3 : 0
        let granted = (mode >> shift) & 0o7
        return granted & access.rawValue == access.rawValue
    }
}

/// Permission bits asked for, as in a mode's triplet: read 4, write 2, execute (search) 1.
public struct FileAccess: OptionSet, Sendable {
    public let rawValue: mode_t
    public init(rawValue: mode_t) { self.rawValue = rawValue }

    public static let read = FileAccess(rawValue: 4)
    public static let write = FileAccess(rawValue: 2)
    public static let search = FileAccess(rawValue: 1)
}
