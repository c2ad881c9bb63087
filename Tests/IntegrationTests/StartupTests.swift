import Foundation
import Glibc
import Testing

/// What holds before the child is started: signals are read from the first instruction, arguments and the
/// environment pass through byte for byte, every option value is checked, env files never block.
@Suite("Start-up")
struct StartupTests {
    @Test("TERM or INT pending before the child starts: exit 128+N, no child, one line; as PID 1 too",
          arguments: [("TERM", Int32(143)), ("INT", Int32(130))], [false, true])
    func stopBeforeChildStarts(signal: (name: String, status: Int32), pidNamespace: Bool) throws {
        let directory = try makeTemporaryDirectory().path
        let marker = directory + "/child-started"
        // Usage tracking not configured: nothing slow happens before the spawn.
        let launch = ["pending", signal.name, programPath, "--", "sh", "-c", "touch \(marker)"]
        let arguments = pidNamespace ? ["--pid", "--fork", "--mount-proc", "--kill-child=SIGKILL", child("launch_raw.py")] + launch
                                     : launch
        let program = try ProgramProcess(arguments, workingDirectory: directory,
                                         executable: pidNamespace ? "/usr/bin/unshare" : child("launch_raw.py"))
        #expect(try program.wait(timeout: .seconds(30)) == signal.status)
        #expect(!FileManager.default.fileExists(atPath: marker), "the child was started")
        #expect(!program.stderr.contains("child started"))
        #expect(program.stderr.contains("not starting the server: stopped by \(signal.name) before it was started"))
    }

    @Test("healthcheck as PID 1 ends at once on TERM while it waits on a server that never answers")
    func shortSubcommandEndsOnTerm() throws {
        let listener = try SilentListener()
        let program = try ProgramProcess(["healthcheck", "--url", "http://127.0.0.1:\(listener.port)/health", "--timeout", "60"],
                                         pidNamespace: true)
        try listener.waitForConnection()
        let sent = ContinuousClock.now
        try program.signal(SIGTERM)
        #expect(try program.wait(timeout: .seconds(70)) == 143)
        // Not ended by the TERM, it would end at its 60 s timeout with 1: 10 s tells the two apart (it was 2 s).
        #expect(ContinuousClock.now - sent < .seconds(10))
    }

    @Test("a FIFO, a directory or a device as env file or secret file is refused with one line, without blocking",
          arguments: ["env-file", "secret-file"])
    func envFileNotRegular(_ kind: String) throws {
        let directory = try makeTemporaryDirectory().path
        let fifo = directory + "/fifo.env"
        #expect(mkfifo(fifo, 0o600) == 0)
        for path in [fifo, "/dev/zero"] {
            let arguments = kind == "env-file" ? ["--env-file", path, "--", "true"] : ["--", "true"]
            let environment = kind == "env-file" ? [:] : ["OPENROUTER_API_KEY_FILE": path]
            let program = try ProgramProcess(arguments, environment: environment, pidNamespace: true, workingDirectory: directory)
            #expect(try program.wait(timeout: .seconds(30)) == 2)
            #expect(program.stderr.contains(path) && program.stderr.contains("not a regular file"), "\(program.stderr)")
            #expect(program.stderr.split(separator: "\n").filter { $0.contains("not a regular file") }.count == 1, "\(program.stderr)")
            #expect(!program.stderr.contains("child started"))
        }
    }

    @Test("every byte 0x01-0xFF in an argument, a variable's name and its value reaches the child unchanged")
    func bytesPassThrough() throws {
        let directory = try makeTemporaryDirectory().path
        let program = try ProgramProcess(["bytes", programPath, directory], executable: child("launch_raw.py"))
        #expect(try program.wait(timeout: .seconds(30)) == 0, "\(program.stderr)")
        let everyByte = Array(UInt8(1)...UInt8(255))
        let arguments = try Data(contentsOf: URL(fileURLWithPath: directory + "/cmdline")).split(separator: 0, omittingEmptySubsequences: false)
        let argumentKept = arguments.count >= 2 && Array(arguments[arguments.count - 2]) == everyByte
        #expect(argumentKept, "argument changed")
        let entries = try Data(contentsOf: URL(fileURLWithPath: directory + "/environ")).split(separator: 0).map { Array($0) }
        let name = Array("RAW_".utf8) + everyByte.filter { $0 != UInt8(ascii: "=") }
        let nameKept = entries.contains(name + [UInt8(ascii: "=")] + everyByte)
        let valueKept = entries.contains(Array("RAW_VALUE=".utf8) + everyByte)
        #expect(nameKept, "name or value changed")
        #expect(valueKept, "value changed")
    }

    @Test("every option value is checked, whatever the other options say")
    func optionValuesChecked() throws {
        let cases: [([String], [String: String], String)] = [
            (["--health-url", "off", "--startup-grace", "abc", "--", "true"], [:], "not a number of seconds"),
            (["--health-url", "off", "--ready-timeout", "soon", "--", "true"], [:], "not a number of seconds"),
            (["--", "true"], ["MAI_ENTRYPOINT_STARTUP_GRACE": "abc"], "MAI_ENTRYPOINT_STARTUP_GRACE"),
            (["--stop-timeout", "-1", "--", "true"], [:], "not a number of seconds"),
            (["--orphan-grace", "-2", "--", "true"], [:], "not a number of seconds"),
            (["--init-backoff", "-0.5", "--", "true"], [:], "not a number of seconds"),
            (["--stop-timeout", "3", "--", "true"], ["MAI_ENTRYPOINT_STOP_TIMEOUT": "x"], "MAI_ENTRYPOINT_STOP_TIMEOUT"),
        ]
        for (arguments, environment, message) in cases {
            let program = try runProgram(arguments, environment: environment)
            #expect(program.process.terminationStatus == 2, "\(arguments) \(environment)")
            #expect(program.stderr.contains(message), "\(arguments): \(program.stderr)")
            #expect(program.stderr.split(separator: "\n").count == 1, "\(arguments): \(program.stderr)")
        }
    }

    @Test("the command starts at the first word that is not an option, or after --; --tag-child-output alone")
    func whereTheCommandStarts() throws {
        let cases: [([String], String)] = [
            (["--stop-timeout", "3", "sh", "-c", "echo \"$0\"", "--stop-timeout"], "--stop-timeout\n"),
            (["--tag-child-output", "sh", "-c", "echo hi"], "[webui] hi\n"),
            (["--tag-child-output", "--", "sh", "-c", "echo hi"], "[webui] hi\n"),
            (["--tag-child-output=app", "--", "sh", "-c", "echo hi"], "[app] hi\n"),
            (["--", "--", "sh", "-c", "echo x"], ""),
            (["--signal-group", "sh", "-c", "echo \"$1\"", "x", "--"], "--\n"),
        ]
        for (arguments, stdout) in cases {
            let program = try runProgram(arguments)
            if stdout.isEmpty {
                #expect(program.stderr.contains("cannot run --: command not found"), "\(arguments): \(program.stderr)")
            } else {
                #expect(program.stdout == stdout, "\(arguments): \(program.stderr)")
            }
        }
        let unknown = try runProgram(["--no-such-option", "--", "true"])
        #expect(unknown.process.terminationStatus == 2)
        #expect(unknown.stderr.contains("--no-such-option"))
    }
}

/// A TCP listener on 127.0.0.1 that accepts and never answers.
final class SilentListener {
    let fd: Int32
    let port: UInt16
    private var accepted: Int32 = -1

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } }
        listen(fd, 4)
        var length = size
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = UInt16(bigEndian: address.sin_port)
    }

    func waitForConnection() throws {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 10_000) == 1 else { throw TestTimeout(what: "a connection to the silent listener") }
        accepted = accept(fd, nil, nil)
    }

    /// Reads the request, then sends `text` on the accepted connection and closes it: an answer as a server would
    /// write it. (Closing with the request unread would reset the connection, which the client may see before
    /// the answer.)
    func answer(_ text: String) {
        var poller = pollfd(fd: accepted, events: Int16(POLLIN), revents: 0)
        if poll(&poller, 1, 10_000) == 1 {
            var request = [UInt8](repeating: 0, count: 65_536)
            _ = recv(accepted, &request, request.count, 0)
        }
        _ = send(accepted, text, text.utf8.count, 0)
        close(accepted)
        accepted = -1
    }

    deinit {
        if accepted >= 0 { close(accepted) }
        close(fd)
    }
}
