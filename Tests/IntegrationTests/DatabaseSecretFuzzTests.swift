import Foundation
import Glibc
import MaiSystem
import MaiTestSupport
import Testing

/// Issue 10, point 2: random passwords of printable ASCII, written as DATABASE_URL (raw and percent-encoded)
/// and as DATABASE_PASSWORD beside the other DATABASE_* parts, go through `run`, `init-db`, `status` and `env`,
/// in text and JSON, against the test server (each password is a real role's) and against a closed port. No
/// output may hold any 4-character substring of the password.
///
/// Exempt, and counted: a substring that the same commands print for a reference password too (fixed text
/// such as `info`, `rows: `, a JSON key) or that is part of a name the test chose (the env file's path, the
/// role, the database); those are not the password's to leak. Timestamps are dropped before the check.
@Suite("Database: no fragment of a password in any output", .enabled(if: ClusterForTests.enabled, "MAI_TEST_SKIP_POSTGRES=1"))
struct DatabaseSecretFuzzTests {
    static let passwordCount = Int(ProcessInfo.processInfo.environment["MAI_TEST_FUZZ_PASSWORDS"] ?? "") ?? 500
    static let seed: UInt64 = 0x6d61_6900_0000_0010

    @Test("500 random passwords × 3 spellings through 4 commands × 2 formats × 2 servers: no 4-character fragment")
    func fuzz() throws {
        let started = ContinuousClock.now
        let fixture = try FuzzFixture()
        defer { try? FileManager.default.removeItem(atPath: fixture.directory) }
        var generator = SplitMix64(seed: Self.seed)
        let passwords = (0..<Self.passwordCount).map { _ in randomPassword(&generator) }
        try fixture.createRoles(passwords)

        // Fixed text: what the same jobs print for reference passwords that take each path through the parsers.
        let references = [FuzzFixture.referencePassword, "Qj7/Qj7@Qj7%zz", "Qj7:Qj7?Qj7#[Qj7]", "Qj7@Qj7@Qj7"]
        var referenceJobs: [FuzzJob] = []
        for (index, password) in references.enumerated() {
            for combination in FuzzJob.Combination.all {
                for spelling in FuzzJob.Spelling.allCases {
                    referenceJobs.append(FuzzJob(password: password, role: nil, spelling: spelling, combination: combination,
                                                 worker: index))
                }
            }
        }
        let referenceOutputs = try fixture.run(referenceJobs)
        var exempt = Set(referenceOutputs.flatMap { quadgrams(normalized($0.text)) })
        exempt.formUnion(fixture.chosenNames.flatMap(quadgrams))

        // Every password in each spelling; the combinations rotate so each gets about 1500/16 passwords.
        var jobs: [FuzzJob] = []
        for (index, password) in passwords.enumerated() {
            for (offset, spelling) in FuzzJob.Spelling.allCases.enumerated() {
                let combination = FuzzJob.Combination.all[(index + offset * 5) % FuzzJob.Combination.all.count]
                jobs.append(FuzzJob(password: password, role: index, spelling: spelling, combination: combination, worker: 0))
            }
        }
        let outputs = try fixture.run(jobs)

        var exempted = 0, leaks: [String] = []
        var perCombination: [String: Int] = [:]
        for output in outputs {
            perCombination[output.job.combination.name, default: 0] += 1
            let text = normalized(output.text)
            for fragment in Set(quadgrams(output.job.password)) where text.contains(fragment) {
                if exempt.contains(fragment) { exempted += 1; continue }
                leaks.append("\(output.job.summary): \(jsonEscaped(fragment)) in \(jsonEscaped(output.text))")
            }
        }
        let initialized = outputs.filter { $0.text.contains("Usage tracking initialized") && $0.text.contains("postgresql://") }.count
        let envShown = outputs.filter { $0.job.combination.command == .env && $0.text.contains("DATABASE_") }.count
        let statusShown = outputs.filter { $0.job.combination.command == .status && $0.text.contains("schema: v3") }.count
        print("fuzz: \(passwords.count) passwords, \(outputs.count) runs (+\(referenceOutputs.count) reference), "
              + "\(perCombination.count) combinations (min \(perCombination.values.min() ?? 0) runs each), "
              + "\(initialized) initialized, \(statusShown) status reports, \(envShown) env listings, \(exempted) exempted fixed-text hits, "
              + "\(leaks.count) leaks, \(ContinuousClock.now - started)")
        #expect(perCombination.count == 16)
        #expect((perCombination.values.min() ?? 0) >= Self.passwordCount * 3 / 16 - 1)
        // The reachable server really was reached: percent-encoded passwords and DATABASE_PASSWORD log in.
        #expect(initialized > Self.passwordCount / 10, "the test server was never initialized: the fuzz proves little")
        #expect(statusShown > 0)
        #expect(envShown == outputs.filter { $0.job.combination.command == .env }.count)
        #expect(!FileManager.default.fileExists(atPath: fixture.directory + "/data/webui.db"), "a run fell back to SQLite")
        #expect(leaks.isEmpty, "\(leaks.count) leaks, first: \(leaks.prefix(5).joined(separator: "\n"))")
    }
}

struct FuzzJob: Sendable {
    enum Spelling: CaseIterable, Sendable { case rawURL, encodedURL, parts }
    enum Command: String, CaseIterable, Sendable { case run, initDB = "init-db", status, env }
    enum Format: String, CaseIterable, Sendable { case text, json }

    struct Combination: Sendable {
        let command: Command
        let format: Format
        let reachable: Bool
        var name: String { "\(command.rawValue)/\(format.rawValue)/\(reachable ? "reachable" : "closed port")" }

        static let all: [Combination] = Command.allCases.flatMap { command in
            Format.allCases.flatMap { format in [true, false].map { Combination(command: command, format: format, reachable: $0) } }
        }
    }

    let password: String
    /// The index of the role that has this password; nil for a reference run (a role that does not exist).
    let role: Int?
    let spelling: Spelling
    let combination: Combination
    let worker: Int

    var summary: String { "role \(role.map(String.init) ?? "ref") \(spelling) \(combination.name)" }
}

struct FuzzOutput: Sendable {
    let job: FuzzJob
    let text: String
}

/// The test server, a fresh database every fuzz role may use, a closed port, and a folder for the env files.
final class FuzzFixture: @unchecked Sendable {
    let server: String
    let host = "127.0.0.1"
    let port: String
    let closedPort: String
    let database: String
    let directory: String
    static let workers = 4
    /// The reference role's password, the first of the reference passwords: its runs succeed like the fuzz's.
    static let referencePassword = "Qj7Qj7Qj7Qj7"

    init() throws {
        server = try ClusterForTests.serverURL()
        let url = try ClusterForTests.freshDatabase()
        database = String(url.split(separator: "/").last ?? "")
        let hostPort = server.split(separator: "@").last?.split(separator: "/").first ?? ""
        port = String(hostPort.split(separator: ":").last ?? "")
        closedPort = String(try freeLocalPort())
        directory = try makeTemporaryDirectory().path
    }

    func roleName(_ job: FuzzJob) -> String { job.role.map { "mai_fuzz_\($0)" } ?? "mai_fuzz_ref" }

    /// Names the test chose, printed as they are: env file paths, roles, the database, host and ports.
    var chosenNames: [String] {
        (0..<Self.workers).map { envFile($0) } + [database, "mai_fuzz_", "\(host):\(port)", "\(host):\(closedPort)"]
    }

    func envFile(_ worker: Int) -> String { "\(directory)/fuzz-\(worker).env" }

    /// One superuser role per password, so that a password libpq reads right really logs in.
    func createRoles(_ passwords: [String]) throws {
        let roles = passwords.enumerated().map { ("mai_fuzz_\($0)", $1) } + [("mai_fuzz_ref", Self.referencePassword)]
        let statements = roles.map { role, password in
            // Created once per cluster, then given this run's password (an earlier run's objects may depend on it).
            "SELECT 'CREATE ROLE \(role)' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(role)') \\gexec\n"
                + "ALTER ROLE \(role) LOGIN SUPERUSER PASSWORD '\(password.replacingOccurrences(of: "'", with: "''"))';"
        }
        let script = directory + "/roles.sql"
        try statements.joined(separator: "\n").write(toFile: script, atomically: true, encoding: .utf8)
        try command("/usr/bin/psql", [server, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", script])
    }

    /// Runs the jobs on a few workers, each with its own env file.
    func run(_ jobs: [FuzzJob]) throws -> [FuzzOutput] {
        let results = FuzzResults()
        DispatchQueue.concurrentPerform(iterations: Self.workers) { worker in
            for job in stride(from: worker, to: jobs.count, by: Self.workers).map({ jobs[$0] }) {
                do {
                    results.append(try run(job, worker: worker))
                } catch {
                    results.fail("\(job.summary): \(error)")
                }
            }
        }
        if let failure = results.failures.first { throw CommandFailed(command: "fuzz job", stderr: failure) }
        return results.outputs
    }

    private func run(_ job: FuzzJob, worker: Int) throws -> FuzzOutput {
        let file = envFile(worker)
        try envFileText(job).write(toFile: file, atomically: true, encoding: .utf8)
        // The file wins over the test's own environment, so nothing there can name another database; and
        // DATA_DIR points into the test's folder, should any run fall back to SQLite.
        let format = ["--log-format", job.combination.format.rawValue, "--env-override"]
        let quick = ["--init-timeout", "0.2", "--init-backoff", "0.05"]
        let arguments: [String] = switch job.combination.command {
        case .run: ["--env-file", file] + format + quick + ["--", "true"]
        case .initDB: ["init-db", "--env-file", file] + format + quick
        case .status: ["status", "--env-file", file] + format
        case .env: ["env", "--env-file", file] + format
        }
        let output = try runCaptured(arguments, environment: ["DATA_DIR": directory + "/data"], timeout: .seconds(30))
        return FuzzOutput(job: job, text: output)
    }

    private func envFileText(_ job: FuzzJob) -> String {
        let role = roleName(job)
        let port = job.combination.reachable ? port : closedPort
        var lines = ["OPENROUTER_EXTERNAL_USER=org-fuzz", "ORGANIZATION_NAME=Fuzz", "OPENROUTER_API_KEY=sk-or-v1-fuzz-0000000000000000"]
        switch job.spelling {
        case .rawURL:
            lines += ["DATABASE_TYPE=", "DATABASE_PASSWORD="]
            lines.append("DATABASE_URL=" + envQuoted("postgresql://\(role):\(job.password)@\(host):\(port)/\(database)"))
        case .encodedURL:
            lines += ["DATABASE_TYPE=", "DATABASE_PASSWORD="]
            lines.append("DATABASE_URL=" + envQuoted("postgresql://\(role):\(percentEncoded(job.password))@\(host):\(port)/\(database)"))
        case .parts:
            lines += ["DATABASE_URL=", "DATABASE_TYPE=postgresql", "DATABASE_USER=\(role)", "DATABASE_PASSWORD=" + envQuoted(job.password),
                      "DATABASE_HOST=\(host)", "DATABASE_PORT=\(port)", "DATABASE_NAME=\(database)"]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Runs the program to its end and returns its stdout and stderr. Spawned and reaped here: Foundation's
/// Process crashes when several threads start processes at once.
func runCaptured(_ arguments: [String], environment: [String: String], timeout: Duration) throws -> String {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let outPath = directory.appendingPathComponent("out").path, errPath = directory.appendingPathComponent("err").path
    let out = open(outPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    let err = open(errPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    defer { close(out); close(err) }
    var variables = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MAI_ENTRYPOINT_") }
    variables["MAI_ENTRYPOINT_HEALTH_URL"] = "off"
    for (key, value) in environment { variables[key] = value }
    var options = SpawnOptions(environment: EnvironmentBlock(strings: variables.map { "\($0.key)=\($0.value)" }))
    options.standardOutput = out
    options.standardError = err
    options.takeTerminalForeground = false
    let pid = try spawnProcess([programPath] + arguments, options: options)
    let deadline = ContinuousClock.now.advanced(by: timeout)
    var status: Int32 = 0
    while waitpid(pid, &status, WNOHANG) == 0 || (errno == EINTR && kill(pid, 0) == 0) {
        if ContinuousClock.now >= deadline {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
            throw TestTimeout(what: "mai-entrypoint \(arguments.joined(separator: " "))")
        }
        usleep(5_000)
    }
    return ((try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "") + ((try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
}

final class FuzzResults: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [FuzzOutput] = []
    private var failed: [String] = []

    func append(_ output: FuzzOutput) { lock.withLock { collected.append(output) } }
    func fail(_ reason: String) { lock.withLock { failed.append(reason) } }
    var outputs: [FuzzOutput] { lock.withLock { collected } }
    var failures: [String] { lock.withLock { failed } }
}

/// A double-quoted env file value: `\`, `"` and `$` escaped, nothing expanded.
func envQuoted(_ value: String) -> String {
    var quoted = "\""
    for character in value {
        if character == "\\" || character == "\"" || character == "$" { quoted += "\\" }
        quoted.append(character)
    }
    return quoted + "\""
}

/// Everything but RFC 3986's unreserved characters as %XX.
func percentEncoded(_ text: String) -> String {
    var result = ""
    for byte in text.utf8 {
        let scalar = Unicode.Scalar(byte)
        if ("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || "-._~".unicodeScalars.contains(scalar) {
            result.unicodeScalars.append(scalar)
        } else {
            result += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
        }
    }
    return result
}

/// 8 to 28 printable ASCII characters, with one to three of `@ / : ? # % [ ]` at random places.
func randomPassword(_ generator: inout SplitMix64) -> String {
    let specials: [Character] = ["@", "/", ":", "?", "#", "%", "[", "]"]
    let length = Int(generator.next() % 21) + 8
    var characters = (0..<length).map { _ in Character(Unicode.Scalar(UInt8(32 + generator.next() % 95))) }
    for _ in 0...(generator.next() % 3) {
        characters[Int(generator.next() % UInt64(length))] = specials[Int(generator.next() % UInt64(specials.count))]
    }
    return String(characters)
}

/// The output as read, and with JSON's and the text format's `\"` and `\\` undone, without timestamps.
func normalized(_ text: String) -> String {
    let withoutTimestamps = text.replacingOccurrences(of: #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"#, with: "",
                                                      options: .regularExpression)
    let unescaped = withoutTimestamps.replacingOccurrences(of: "\\\\", with: "\u{1}").replacingOccurrences(of: "\\\"", with: "\"")
        .replacingOccurrences(of: "\u{1}", with: "\\")
    return withoutTimestamps + "\n" + unescaped
}

func quadgrams(_ text: String) -> [String] {
    let scalars = Array(text.unicodeScalars)
    guard scalars.count >= 4 else { return [] }
    return (0...(scalars.count - 4)).map { index in
        var fragment = ""
        fragment.unicodeScalars.append(contentsOf: scalars[index..<(index + 4)])
        return fragment
    }
}

func jsonEscaped(_ text: String) -> String {
    String(data: (try? JSONEncoder().encode(text)) ?? Data(), encoding: .utf8) ?? text
}
