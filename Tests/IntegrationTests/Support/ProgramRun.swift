import Foundation
import Glibc
import Testing

/// The built `mai-entrypoint`, beside the test bundle in the build folder.
let programPath: String = {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = bundle.deletingLastPathComponent()
    while !directory.path.isEmpty && directory.path != "/" {
        let candidate = directory.appendingPathComponent("mai-entrypoint").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    return ".build/debug/mai-entrypoint"
}()

/// Folder of the small child programs the tests supervise.
let childrenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Children").path

func child(_ name: String) -> String { "\(childrenDirectory)/\(name)" }

struct TestTimeout: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out: \(what)" }
}

/// A started `mai-entrypoint` (optionally as PID 1 of a PID namespace of its own), with its output in files.
final class ProgramProcess {
    let process = Process()
    let directory: URL
    let stdoutPath: String
    let stderrPath: String
    /// Asked for JSON log lines: every such line it writes is checked to be valid JSON when it has exited.
    let writesJSON: Bool

    /// `executable` runs instead of the program (a launcher that execs it), given `arguments` as they are.
    init(_ arguments: [String], environment: [String: String] = [:], pidNamespace: Bool = false,
         workingDirectory: String? = nil, standardInput: FileHandle? = nil, executable: String? = nil) throws {
        directory = try makeTemporaryDirectory()
        stdoutPath = directory.appendingPathComponent("stdout").path
        stderrPath = directory.appendingPathComponent("stderr").path
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        if let executable {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else if pidNamespace {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            process.arguments = ["--pid", "--fork", "--mount-proc", "--kill-child=SIGKILL", programPath] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: programPath)
            process.arguments = arguments
        }
        let formatOption = zip(arguments, arguments.dropFirst()).contains { $0 == "--log-format" && $1 == "json" }
            || arguments.contains("--log-format=json")
        writesJSON = formatOption || environment["MAI_ENTRYPOINT_LOG_FORMAT"] == "json"
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MAI_ENTRYPOINT_") }
        // Most children here are not web servers: readiness probing only where a test asks for it.
        env["MAI_ENTRYPOINT_HEALTH_URL"] = "off"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardInput = standardInput ?? FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// The pid of `mai-entrypoint` itself on the host: under unshare it is unshare's only child.
    func supervisorPID(timeout: Duration = .seconds(10)) throws -> pid_t {
        guard process.executableURL?.lastPathComponent == "unshare" else { return process.processIdentifier }
        let parent = process.processIdentifier
        return try waitFor("pid of the namespace's init", timeout: timeout) {
            let text = (try? String(contentsOfFile: "/proc/\(parent)/task/\(parent)/children", encoding: .utf8)) ?? ""
            return text.split(separator: " ").first.flatMap { pid_t($0) }
        }
    }

    func signal(_ signal: Int32) throws {
        kill(try supervisorPID(), signal)
    }

    /// Waits for the program to end; kills it (and so its namespace) on timeout.
    @discardableResult
    func wait(timeout: Duration = .seconds(30)) throws -> Int32 {
        do {
            try waitFor("mai-entrypoint to exit", timeout: timeout) { process.isRunning ? nil : true }
        } catch {
            kill(process.processIdentifier, SIGKILL)
            if let pid = try? supervisorPID(timeout: .milliseconds(10)) { kill(pid, SIGKILL) }
            throw error
        }
        if writesJSON { checkJSONLines() }
        return process.terminationStatus
    }

    /// The program's JSON lines (on stderr, and `env`'s on stdout) must each parse: a collector drops a line
    /// that does not. Lines not starting with `{` are the child's own output.
    func checkJSONLines() {
        for line in readLines(stderrPath) + readLines(stdoutPath) where line.hasPrefix("{") {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8))
            if !(object is [String: Any]) { Issue.record("not a valid JSON object: \(line)") }
        }
    }

    /// Waits until the supervisor's stderr contains the text.
    func waitForLog(_ text: String, timeout: Duration = .seconds(15)) throws {
        try waitFor("log line \"\(text)\" in:\n\(stderr)", timeout: timeout) { stderr.contains(text) ? true : nil }
    }
}

/// Runs the program to its end and returns it with its output.
@discardableResult
func runProgram(_ arguments: [String], environment: [String: String] = [:], pidNamespace: Bool = false,
                workingDirectory: String? = nil, timeout: Duration = .seconds(30)) throws -> ProgramProcess {
    let program = try ProgramProcess(arguments, environment: environment, pidNamespace: pidNamespace,
                                     workingDirectory: workingDirectory)
    try program.wait(timeout: timeout)
    return program
}

/// Polls a condition every 10 ms until it yields a value or the timeout passes.
@discardableResult
func waitFor<T>(_ what: @autoclosure () -> String, timeout: Duration, _ condition: () throws -> T?) throws -> T {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while true {
        if let value = try condition() { return value }
        if ContinuousClock.now >= deadline { throw TestTimeout(what: what()) }
        usleep(10_000)
    }
}

func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("mai-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func readLines(_ path: String) -> [String] {
    ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
}
