import Foundation
import Glibc
import Testing

/// `mai-entrypoint healthcheck` sees what the run sees (env files, ENV=dev, PORT, MAI_ENTRYPOINT_HEALTH_URL)
/// and exits 0 or 1, never 2: Docker reserves 2 (issue 9, point 7).
@Suite("healthcheck: the run's view, 0 or 1")
struct HealthcheckCommandTests {
    /// The stand-in web server answering /health on a free port, ready when this returns.
    final class Server {
        let port: Int
        let directory: URL
        let process = Process()

        /// `chunked`: /health answers with `Transfer-Encoding: chunked`, its body split in two chunks.
        init(chunked: Bool = false) throws {
            port = try freeLocalPort()
            directory = try makeTemporaryDirectory()
            let record = directory.appendingPathComponent("signals").path
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = [child("web_server.py"), String(port), "0", record]
            process.environment = ProcessInfo.processInfo.environment.merging(["WEB_SERVER_CHUNKED": chunked ? "1" : "0"]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            try waitFor("\(record).listening", timeout: .seconds(15)) {
                FileManager.default.fileExists(atPath: record + ".listening") ? true : nil
            }
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: directory)
        }

        func write(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: directory.appendingPathComponent(name))
        }

        /// Runs healthcheck in the server's folder (where its env files are). PORT is left unset unless given:
        /// set, even empty, it would win over the files.
        func healthcheck(_ arguments: [String] = [], environment: [String: String] = [:]) throws -> ProgramProcess {
            var env = ["MAI_ENTRYPOINT_HEALTH_URL": "", "ENV": ""]
            for (key, value) in environment { env[key] = value }
            return try runProgram(["healthcheck"] + arguments, environment: env, workingDirectory: directory.path)
        }
    }

    @Test("a /health answer in Transfer-Encoding: chunked, {\"status\": true} split across chunks, is healthy")
    func chunkedAnswerIsHealthy() throws {
        let server = try Server(chunked: true)
        let run = try server.healthcheck(["--url", "http://127.0.0.1:\(server.port)/health"])
        #expect(run.process.terminationStatus == 0, "\(run.stdout)\(run.stderr)")
    }

    @Test("PORT from .env, as the run reads it")
    func portFromDotEnv() throws {
        let server = try Server()
        try server.write(".env", "PORT=\(server.port)\n")
        let run = try server.healthcheck()
        #expect(run.process.terminationStatus == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout == "healthy: http://127.0.0.1:\(server.port)/health\n")
    }

    @Test("ENV=dev reads .env.dev; --env-file and MAI_ENTRYPOINT_ENV_FILE name other files")
    func otherEnvFiles() throws {
        let server = try Server()
        try server.write(".env", "PORT=1\n")
        try server.write(".env.dev", "PORT=\(server.port)\n")
        try server.write("custom.env", "PORT=\(server.port)\n")
        #expect(try server.healthcheck().process.terminationStatus == 1)
        #expect(try server.healthcheck(environment: ["ENV": "dev"]).process.terminationStatus == 0)
        #expect(try server.healthcheck(["--env-file", "custom.env"]).process.terminationStatus == 0)
        #expect(try server.healthcheck(environment: ["MAI_ENTRYPOINT_ENV_FILE": "custom.env"]).process.terminationStatus == 0)
    }

    @Test("the process environment wins over .env for PORT; MAI_ENTRYPOINT_HEALTH_URL wins over PORT")
    func precedence() throws {
        let server = try Server()
        try server.write(".env", "PORT=1\n")
        #expect(try server.healthcheck(environment: ["PORT": String(server.port)]).process.terminationStatus == 0)
        let url = try server.healthcheck(environment: ["MAI_ENTRYPOINT_HEALTH_URL": "http://127.0.0.1:\(server.port)/health"])
        #expect(url.process.terminationStatus == 0)
    }

    @Test("the run refuses the same URLs as a usage error (status 2, one line) and starts nothing", arguments: [
        (["--health-url", "http://127.0.0.1:8080/health\r\nX-Injected: 1"], [:], "control character"),
        ([], ["MAI_ENTRYPOINT_HEALTH_URL": "http://127.0.0.1:8080/he alth"], "space"),
        ([], ["MAI_ENTRYPOINT_HEALTH_URL": "https://127.0.0.1:8080/health"], "only http:// is supported"),
    ] as [([String], [String: String], String)])
    func runRefusesTheSameURLs(options: [String], environment: [String: String], expected: String) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try runProgram(options + ["--", "true"], environment: environment, workingDirectory: directory.path)
        #expect(run.process.terminationStatus == 2, "\(run.stderr)")
        #expect(run.stderr.contains(expected) && !run.stderr.contains("child started"), "\(run.stderr)")
        // One error line, whatever the URL held (the start-up lines before it are the run's).
        let errors = run.stderr.split(separator: "\n").filter { $0.contains("error:") }
        #expect(errors.count == 1 && errors[0].contains(expected) && !run.stderr.contains("\r"), "\(run.stderr)")
        #expect(!run.stderr.split(separator: "\n").contains { $0.hasPrefix("X-Injected") }, "\(run.stderr)")
    }

    @Test("every failure is status 1 with one line, never 2", arguments: [
        (["--url", "https://127.0.0.1:8080/health"], [:], "only http:// is supported"),
        (["--url", "http://127.0.0.1:8080/health\r\nX-Injected: 1"], [:], "control character"),
        (["--url", "http://127.0.0.1:8080/he alth"], [:], "space"),
        (["--url", "http://example.com/health"], [:], "IP address"),
        ([], ["MAI_ENTRYPOINT_HEALTH_URL": "https://127.0.0.1/health"], "only http:// is supported"),
        ([], ["PORT": "eighty"], "PORT"),
        (["--timeout", "soon"], [:], "not a number of seconds"),
        (["--no-such-option"], [:], "no-such-option"),
        (["--url"], [:], "--url"),
        (["--env-file", "missing.env"], [:], "missing.env"),
    ] as [([String], [String: String], String)])
    func failuresAreOne(arguments: [String], environment: [String: String], expected: String) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var env = ["MAI_ENTRYPOINT_HEALTH_URL": "", "PORT": ""]
        for (key, value) in environment { env[key] = value }
        let run = try runProgram(["healthcheck"] + arguments, environment: env, workingDirectory: directory.path)
        #expect(run.process.terminationStatus == 1, "\(arguments) \(environment): \(run.stdout)\(run.stderr)")
        let output = run.stdout + run.stderr
        #expect(output.contains(expected), "\(output)")
        #expect(output.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }.count == 1, "\(output)")
        #expect(!output.contains("\r"))
    }
}
