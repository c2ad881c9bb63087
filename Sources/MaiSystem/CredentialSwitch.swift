import CMaiSystem
import Glibc

/// The user and groups a child runs as: what s6-setuidgid and `setpriv --reuid --regid --init-groups` apply.
public struct Credentials: Sendable, Equatable, CustomStringConvertible {
    public var uid: uid_t
    public var gid: gid_t
    /// The supplementary groups, the primary one included (as initgroups(3) sets them).
    public var groups: [gid_t]

    public init(uid: uid_t, gid: gid_t, groups: [gid_t]) {
        self.uid = uid
        self.gid = gid
        self.groups = groups
    }

    /// `1000:1000`
    public var description: String { "\(uid):\(gid)" }

    /// `UID:GID:G1,G2` as the credential stage reads it.
    var argument: String { "\(uid):\(gid):" + groups.map(String.init).joined(separator: ",") }

    init?(argument: [UInt8]) {
        let fields = argument.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        guard fields.count == 3, let uid = decimal(fields[0]), let gid = decimal(fields[1]) else { return nil }
        var groups: [gid_t] = []
        for field in fields[2].split(separator: UInt8(ascii: ",")) {
            guard let group = decimal(field) else { return nil }
            groups.append(group)
        }
        self.init(uid: uid, gid: gid, groups: groups)
    }
}

private func decimal(_ bytes: ArraySlice<UInt8>) -> UInt32? {
    guard !bytes.isEmpty, bytes.count <= 10, bytes.allSatisfy({ (48...57).contains($0) }) else { return nil }
    let value = bytes.reduce(UInt64(0)) { $0 * 10 + UInt64($1 - 48) }
    // (uid_t)-1 means "leave unchanged" to setuid's relatives: never a user.
    return value < UInt64(UInt32.max) ? UInt32(value) : nil
}

/// The stage between the supervisor and a command that runs as another user. posix_spawn, which starts every
/// child, cannot change credentials, so the supervisor spawns this program itself (`/proc/self/exe`, the very
/// binary that runs, even if its file was replaced since) with a first argument no user types:
///
///     mai-entrypoint --mai-entrypoint-exec-as UID:GID:G1,G2 COMMAND ARGS...
///
/// It sets the supplementary groups, then the group, then the user (in that order: once the user is not root,
/// neither of the others may be changed), empties the signal mask, looks COMMAND up in PATH as the new user
/// and execs it. posix_spawn has already given it its process group, its descriptors, an empty mask and
/// default dispositions; exec keeps all of them, and the pid, so the supervisor's child is the command.
/// A failure is written to descriptor 3 (close-on-exec, so the supervisor reads end-of-file once the exec
/// worked) as `CALL ERRNO`, and the stage exits 126, or 127 when the command is not found.
public enum CredentialSwitch {
    public static let argument = "--mai-entrypoint-exec-as"
    static let selfExecutable = "/proc/self/exe"
    static let reportDescriptor: Int32 = 3

    /// Called first thing in `main`: when this process is the credential stage, it becomes the command (or
    /// exits); otherwise it returns at once.
    public static func runIfRequested(_ arguments: [[UInt8]]) {
        guard arguments.first == Array(argument.utf8) else { return }
        execute(Array(arguments.dropFirst()))
    }

    private static func execute(_ arguments: [[UInt8]]) -> Never {
        // Before anything can fail: the command must not inherit the report pipe (absent, EBADF, when the stage
        // was started by hand: failures then go to stderr).
        if fcntl(reportDescriptor, F_SETFD, FD_CLOEXEC) != 0 && errno != EBADF {
            fail(call: "fcntl(3)", errno: errno, command: arguments.dropFirst().first ?? [])
        }
        guard arguments.count >= 2, let credentials = Credentials(argument: arguments[0]) else {
            fail(call: argument, errno: EINVAL, command: [])
        }
        let command = Array(arguments.dropFirst())
        var empty = sigset_t()
        sigemptyset(&empty)
        // Already empty after posix_spawn; set again so that nothing but this stage decides it.
        sigprocmask(SIG_SETMASK, &empty, nil)
        let groupsSet = credentials.groups.withUnsafeBufferPointer { cmai_setgroups($0.count, $0.baseAddress) }
        if groupsSet != 0 { fail(call: "setgroups", errno: errno, command: command[0]) }
        if setgid(credentials.gid) != 0 { fail(call: "setgid", errno: errno, command: command[0]) }
        if setuid(credentials.uid) != 0 { fail(call: "setuid", errno: errno, command: command[0]) }
        let path: [UInt8]
        do {
            path = try resolveExecutable(command[0], searchPath: EnvironmentBlock.current().bytes("PATH").map(Array.init))
        } catch {
            fail(call: nil, errno: error.errno, command: command[0])
        }
        _ = withCStrings(command) { argv in withCString(path) { execv($0, argv) } }
        fail(call: nil, errno: errno, command: command[0])
    }

    /// Reports to the supervisor (or, when this stage was started by hand, says so on stderr) and exits.
    private static func fail(call: String?, errno code: Int32, command: [UInt8]) -> Never {
        let reported = (try? writeAll(reportDescriptor, "\(call ?? "exec") \(code)\n")) != nil
        let error = SpawnError(command: displayText(command), errno: code, call: call)
        if !reported {
            try? writeAll(STDERR_FILENO, "mai-entrypoint: error: \(escapingControlCharacters(error.description))\n")
        }
        _exit(error.exitStatus)
    }

    /// The stage's report, read to end-of-file: nil when the exec worked (or the stage died without a word, in
    /// which case its end is reaped as the child's).
    static func readReport(_ fd: Int32) -> (call: String?, errno: Int32)? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 128)
        while bytes.count < 4096 {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        let fields = String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count == 2, let code = Int32(fields[1]) else { return nil }
        return (fields[0] == "exec" ? nil : String(fields[0]), code)
    }
}
