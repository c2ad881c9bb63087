import Foundation
import Glibc
import MaiSystem
import MaiTestSupport
import Testing

/// The variables that turn usage tracking on, for one organization.
let trackingEnvironment = [
    "OPENROUTER_EXTERNAL_USER": "org-acme", "ORGANIZATION_NAME": "Acme",
    "OPENROUTER_API_KEY": "sk-or-v1-0123456789abcdef0123456789abcdef",
]

/// The same with the database named explicitly, so nothing from the test's own environment decides it.
func tracking(_ databaseURL: String, _ extra: [String: String] = [:]) -> [String: String] {
    trackingEnvironment.merging(["DATABASE_URL": databaseURL]) { $1 }.merging(extra) { $1 }
}

/// A fresh folder for one SQLite database; its URL uses the absolute form.
struct SQLiteFixture {
    let directory: String
    var path: String { directory + "/webui.db" }
    var url: String { "sqlite:///" + path }

    init() throws {
        directory = try makeTemporaryDirectory().path
    }

    func query(_ sql: String) throws -> [String] {
        try command("/usr/bin/sqlite3", [path, sql]).split(separator: "\n").map(String.init)
    }
}

/// Runs a program and returns its stdout; throws with its stderr when it fails. Spawned and reaped here rather
/// than through Foundation's Process, which waits until every holder of a socket it gives the child has closed
/// it, so a daemon the child starts (pg_ctl's postgres) would keep it waiting forever.
@discardableResult
func command(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let outPath = directory.appendingPathComponent("out").path, errPath = directory.appendingPathComponent("err").path
    let out = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    let err = open(errPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    defer { close(out); close(err) }
    // MaiSystem's spawn closes every descriptor above 2 in the child, so no daemon inherits Foundation's.
    var options = SpawnOptions(environment: EnvironmentBlock(strings: ProcessInfo.processInfo.environment.merging(environment ?? [:]) { $1 }
        .map { "\($0.key)=\($0.value)" }))
    options.standardOutput = out
    options.standardError = err
    options.takeTerminalForeground = false
    let pid = try spawnProcess([executable] + arguments, options: options)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    guard status == 0 else {
        let errors = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        throw CommandFailed(command: ([executable] + arguments).joined(separator: " "), stderr: "status \(status): \(errors)")
    }
    return output
}

struct CommandFailed: Error, CustomStringConvertible {
    let command: String
    let stderr: String
    var description: String { "\(command) failed: \(stderr)" }
}

/// The cluster scripts/postgres-for-tests started; PostgreSQL tests fail without it unless told to skip.
enum ClusterForTests {
    static var enabled: Bool { TestCluster.enabled }
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/postgres-for-tests").path

    static func serverURL() throws -> String { try TestCluster.serverURL() }

    /// A new, empty database; returns its URL.
    static func freshDatabase() throws -> String {
        let server = try serverURL()
        let name = TestCluster.uniqueDatabaseName("mai_cli_")
        try psql(server, "CREATE DATABASE \(name)")
        return TestCluster.url(server, database: name)
    }

    /// Rows of a query, one line each, fields separated by `|`.
    @discardableResult
    static func psql(_ url: String, _ sql: String) throws -> [String] {
        try command("/usr/bin/psql", [url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .split(separator: "\n").map(String.init)
    }
}

/// A free TCP port on 127.0.0.1 at the time of asking.
func freeLocalPort() throws -> Int {
    let output = try command("/usr/bin/python3", ["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
    guard let port = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw CommandFailed(command: "free port", stderr: output) }
    return port
}

extension ProgramProcess {
    var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
}
