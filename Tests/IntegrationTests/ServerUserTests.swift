import Foundation
import Glibc
import Testing

/// `mai-entrypoint` as PID 1 of its own PID namespace, in a mount namespace in which /etc/passwd and /etc/group
/// are the test's own files (bind-mounted there; the host's are untouched).
struct AccountsNamespace {
    let directory: String

    static let passwd = """
        root:x:0:0:root:/root:/bin/bash
        # the server's user
        tester:x:4100:4100:Test user,,,:/home/tester:/bin/sh
        broken line
        other:x:4101:4101::/home/other:/bin/sh

        """
    static let group = """
        root:x:0:
        tester:x:4100:
        extra1:x:4201:tester
        extra2:x:4202:other,tester\r
        unrelated:x:4203:other

        """

    init() throws {
        directory = try makeTemporaryDirectory().path
        try Self.passwd.write(toFile: directory + "/passwd", atomically: false, encoding: .utf8)
        try Self.group.write(toFile: directory + "/group", atomically: false, encoding: .utf8)
    }

    func start(_ arguments: [String], environment: [String: String] = [:]) throws -> ProgramProcess {
        let script = #"mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group && shift 2 && exec "$@""#
        return try ProgramProcess(["--mount", "--pid", "--fork", "--mount-proc", "--kill-child=SIGKILL", "/bin/sh", "-c", script, "sh",
                                   directory + "/passwd", directory + "/group", programPath] + arguments,
                                  environment: environment, executable: "/usr/bin/unshare")
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> ProgramProcess {
        let program = try start(arguments, environment: environment)
        try program.wait()
        return program
    }
}

/// A data folder owned by root (mode 0755), as a new Docker volume over the image's folder is.
func rootOwnedDataDirectory() throws -> String {
    let path = try makeTemporaryDirectory().path + "/data"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    chmod(path, 0o755)
    return path
}

func owner(_ path: String) -> [UInt32]? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return [info.st_uid, info.st_gid]
}

/// The child's own view: `id`, HOME, and PID 1's ids read from /proc/1/status.
let identityProbe = ["/bin/sh", "-c", #"id; echo "HOME=$HOME"; grep -E '^(Uid|Gid):' /proc/1/status | tr '\t' ' '"#]

@Suite("Issue 12: the server as another user (--user, --chown-data)", .serialized)
struct ServerUserTests {
    @Test("--user NAME: the child runs with the user's id, group, groups from /etc/group and HOME; PID 1 stays root")
    func childRunsAsTheUser() throws {
        let accounts = try AccountsNamespace()
        let data = try rootOwnedDataDirectory()
        chown(data, 4100, 4100)
        let run = try accounts.run(["--user", "tester", "--"] + identityProbe, environment: ["DATA_DIR": data, "HOME": "/root"])
        #expect(run.process.terminationStatus == 0, "\(run.stderr)")
        #expect(run.stdout.split(separator: "\n").map(String.init) == [
            "uid=4100(tester) gid=4100(tester) groups=4100(tester),4201(extra1),4202(extra2)",
            "HOME=/home/tester",
            "Uid: 0 0 0 0",
            "Gid: 0 0 0 0",
        ], "\(run.stderr)")
        #expect(run.stderr.contains("child started") && run.stderr.contains("user=4100:4100"))
    }

    @Test("MAI_ENTRYPOINT_USER=UID:GID with no /etc/passwd entry: those ids, only that group, HOME as the environment has it")
    func numericUserWithoutEntry() throws {
        let accounts = try AccountsNamespace()
        let data = try rootOwnedDataDirectory()
        chown(data, 4300, 4301)
        let run = try accounts.run(["--"] + identityProbe,
                                   environment: ["DATA_DIR": data, "HOME": "/root", "MAI_ENTRYPOINT_USER": "4300:4301"])
        #expect(run.process.terminationStatus == 0, "\(run.stderr)")
        #expect(run.stdout.split(separator: "\n").prefix(3).map(String.init) == ["uid=4300 gid=4301 groups=4301", "HOME=/root", "Uid: 0 0 0 0"])
    }

    @Test("a root-owned DATA_DIR is refused before the start in one line naming the path, its owner and mode, and the user; exit 1")
    func rootOwnedDataDirectoryRefused() throws {
        let accounts = try AccountsNamespace()
        let data = try rootOwnedDataDirectory()
        let run = try accounts.run(["--user", "tester", "--", "/bin/sh", "-c", "echo started"], environment: ["DATA_DIR": data])
        #expect(run.process.terminationStatus == 1)
        let errors = run.stderrLines.filter { $0.contains("error") }
        #expect(errors.count == 1, "\(run.stderr)")
        let line = errors.first ?? ""
        #expect(line.contains("cannot write to DATA_DIR: \(data) has owner 0:0 and mode 0755"), "\(line)")
        #expect(line.contains("tester (4100:4100)") && line.contains("--chown-data"), "\(line)")
        #expect(!run.stderr.contains("child started") && run.stdout.isEmpty)
        // Nothing was made in it but the lock, taken before anything touches the data (issue 19, point 3).
        #expect(try FileManager.default.contentsOfDirectory(atPath: data) == [".mai-entrypoint.lock"])
        #expect(owner(data) == [0, 0])
    }

    @Test("--chown-data: DATA_DIR and all in it become the user's (links themselves, never their targets); the server can write; a second start changes nothing")
    func chownDataFixesIt() throws {
        let accounts = try AccountsNamespace()
        let data = try rootOwnedDataDirectory()
        let outside = try makeTemporaryDirectory().path
        try FileManager.default.createDirectory(atPath: data + "/uploads/a", withIntermediateDirectories: true)
        try "db".write(toFile: data + "/uploads/a/file", atomically: false, encoding: .utf8)
        try "x".write(toFile: outside + "/target", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: data + "/link", withDestinationPath: outside + "/target")
        let write = ["/bin/sh", "-c", #"echo written > "$DATA_DIR/by-the-server" && id -u"#]
        let run = try accounts.run(["--user", "tester", "--chown-data", "--"] + write, environment: ["DATA_DIR": data])
        #expect(run.process.terminationStatus == 0, "\(run.stderr)")
        #expect(run.stdout == "4100\n")
        // The lock file included: it is taken before --chown-data runs.
        #expect(run.stderr.contains("DATA_DIR owner set to 4100:4100 (--chown-data): 6 of 6 paths changed"), "\(run.stderr)")
        for path in ["", "/uploads", "/uploads/a", "/uploads/a/file", "/link", "/by-the-server", "/.webui_secret_key"] {
            #expect(owner(data + path) == [4100, 4100], "\(path)")
        }
        #expect(owner(outside + "/target") == [0, 0])
        let again = try accounts.run(["--user", "tester", "--chown-data", "--", "true"], environment: ["MAI_ENTRYPOINT_CHOWN_DATA": "1", "DATA_DIR": data])
        #expect(again.process.terminationStatus == 0, "\(again.stderr)")
        #expect(again.stderr.contains("(--chown-data): 0 of 8 paths changed"), "\(again.stderr)")
    }

    @Test("files the supervisor makes for the server become its user's: the key file (0600) and webui.db from usage tracking")
    func filesMadeForTheServer() throws {
        let accounts = try AccountsNamespace()
        let data = try rootOwnedDataDirectory()
        chown(data, 4100, 4100)
        let environment = trackingEnvironment.merging(["DATA_DIR": data]) { $1 }
        let write = ["/bin/sh", "-c", #"sqlite3 "$DATA_DIR/webui.db" "CREATE TABLE by_the_server(x)" && echo ok"#]
        let run = try accounts.run(["--user", "tester", "--"] + write, environment: environment)
        #expect(run.process.terminationStatus == 0, "\(run.stderr)")
        #expect(run.stdout == "ok\n")
        #expect(run.stderr.contains("Usage tracking initialized for Acme"))
        #expect(owner(data + "/webui.db") == [4100, 4100])
        #expect(owner(data + "/.webui_secret_key") == [4100, 4100])
        #expect(FileManager.default.fileExists(atPath: data + "/webui.db-journal") == false)
    }

    @Test("as the user, a command not found is 127 and one not executable by the user 126, with one line as for any spawn error")
    func spawnErrorsAsTheUser() throws {
        let accounts = try AccountsNamespace()
        let data = try rootOwnedDataDirectory()
        chown(data, 4100, 4100)
        let missing = try accounts.run(["--user", "tester", "--", "no-such-command-mai"], environment: ["DATA_DIR": data])
        #expect(missing.process.terminationStatus == 127)
        #expect(missing.stderr.contains("error: cannot run no-such-command-mai: command not found exit_status=127"), "\(missing.stderr)")
        #expect(!missing.stderr.contains("child started"))
        let script = data + "/root-only.sh"
        try "#!/bin/sh\necho ran\n".write(toFile: script, atomically: false, encoding: .utf8)
        chmod(script, 0o700)
        let denied = try accounts.run(["--user", "tester", "--", script], environment: ["DATA_DIR": data])
        #expect(denied.process.terminationStatus == 126)
        #expect(denied.stderr.contains("error: cannot run \(script): permission denied exit_status=126"), "\(denied.stderr)")
        #expect(denied.stdout.isEmpty)
    }

    @Test("an unknown user or group is a usage error (2) naming the option")
    func unknownUser() throws {
        let accounts = try AccountsNamespace()
        let run = try accounts.run(["--user", "ghost", "--", "true"])
        #expect(run.process.terminationStatus == 2)
        #expect(run.stderrLines.last == "mai-entrypoint: error: --user ghost: no user ghost in /etc/passwd", "\(run.stderr)")
        let group = try accounts.run(["--", "true"], environment: ["MAI_ENTRYPOINT_USER": "tester:ghosts"])
        #expect(group.process.terminationStatus == 2)
        #expect(group.stderrLines.last == "mai-entrypoint: error: MAI_ENTRYPOINT_USER tester:ghosts: no group ghosts in /etc/group", "\(group.stderr)")
    }

    @Test("--user when mai-entrypoint itself is not root: one line, exit 1, nothing started")
    func notRoot() throws {
        let data = try rootOwnedDataDirectory()
        chown(data, 65534, 65534)
        // Its working directory is one uid 65534 may enter (a checkout under a 0700 folder is not): the run
        // looks for .env there first.
        let run = try ProgramProcess(["--reuid=65534", "--regid=65534", "--clear-groups", programPath, "--user", "4100:4100", "--", "/bin/sh", "-c", "echo started"],
                                     environment: ["DATA_DIR": data], workingDirectory: data, executable: "/usr/bin/setpriv")
        #expect(try run.wait() == 1)
        let errors = run.stderrLines.filter { $0.contains("error") }
        #expect(errors.count == 1 && errors.first?.contains("cannot run the server as 4100:4100 (--user): mai-entrypoint itself runs as uid 65534, and only root can change users") == true, "\(run.stderr)")
        #expect(run.stdout.isEmpty && !run.stderr.contains("child started"))
    }

    @Test("signals still reach the child that runs as the user, and the stop is clean")
    func signalsReachTheUsersChild() throws {
        let accounts = try AccountsNamespace()
        let data = try rootOwnedDataDirectory()
        chown(data, 4100, 4100)
        let program = try accounts.start(["--user", "tester", "--", "/bin/sh", "-c", "trap 'echo got-term; exit 0' TERM; echo ready; while :; do sleep 0.1; done"],
                                         environment: ["DATA_DIR": data])
        try waitFor("the child to be ready", timeout: .seconds(15)) { program.stdout.contains("ready") ? true : nil }
        try program.signal(SIGTERM)
        #expect(try program.wait() == 0)
        #expect(program.stdout.contains("got-term"))
    }
}
