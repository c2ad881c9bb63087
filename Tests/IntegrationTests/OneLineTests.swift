import Foundation
import Glibc
import Testing

/// Every line the program writes is one line: a control character in a tag is refused, one in a value is shown
/// escaped, and under `--log-format json` every line of the program is a JSON object, the fatal ones included.
@Suite("One line per line")
struct OneLineTests {
    static let escape = "\u{1B}[2J"

    @Test("a tag holding a control character is a usage error: status 2, one line, nothing started", arguments: [
        (["--log-tag", "tag\nerror: forged"], [String: String]()),
        (["--tag-child-output=web\u{1B}[2Jui"], [:]),
        ([], ["MAI_ENTRYPOINT_LOG_TAG": "tag\rforged"]),
        ([], ["MAI_ENTRYPOINT_TAG_CHILD_OUTPUT": "web\u{07}ui"]),
    ])
    func controlCharactersInTagsAreRefused(options: [String], environment: [String: String]) throws {
        let directory = try makeTemporaryDirectory().path
        let marker = directory + "/started"
        let run = try runProgram(options + ["--", "touch", marker], environment: environment, workingDirectory: directory)
        #expect(run.process.terminationStatus == 2, "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n", omittingEmptySubsequences: false).count == 2, "\(run.stderr)")
        #expect(run.stderr.contains("control character"), "\(run.stderr)")
        #expect(!run.stderr.contains("\u{1B}") && !run.stderr.contains("\r") && !run.stderr.contains("\u{07}"))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("env shows a value's ESC, BEL and DEL escaped, in text and in JSON")
    func envEscapesControlCharacters() throws {
        let directory = try makeTemporaryDirectory().path
        try "WEBUI_NAME='a\(Self.escape)b\u{07}c\u{7F}d'\n".write(toFile: directory + "/.env", atomically: true, encoding: .utf8)
        for format in ["text", "json"] {
            let run = try runProgram(["env", "--log-format", format], environment: ["ENV": "prod"], workingDirectory: directory)
            #expect(run.process.terminationStatus == 0, "\(run.stderr)")
            for control in ["\u{1B}", "\u{07}", "\u{7F}"] { #expect(!run.stdout.contains(control), "\(format): \(run.stdout)") }
            #expect(run.stdout.contains(format == "text" ? #"a\u{1B}[2Jb\u{7}c\u{7F}d"# : #"a\u001b[2Jb\u0007c\u007fd"#), "\(run.stdout)")
        }
    }

    @Test("ORGANIZATION_NAME with ESC, BEL and CR: escaped in the initialized line and in status")
    func organizationNameIsEscaped() throws {
        let database = try SQLiteFixture()
        let environment = tracking(database.url, ["ORGANIZATION_NAME": "Acme\(Self.escape)\u{07}\r"])
        let initDB = try runProgram(["init-db"], environment: environment, workingDirectory: database.directory)
        #expect(initDB.process.terminationStatus == 0, "\(initDB.stderr)")
        #expect(initDB.stderr.contains(#"Usage tracking initialized for Acme\u{1B}[2J\u{7}\r (organization created"#), "\(initDB.stderr)")
        let status = try runProgram(["status"], environment: environment, workingDirectory: database.directory)
        #expect(status.process.terminationStatus == 0, "\(status.stderr)")
        #expect(status.stdout.contains(#"name="Acme\u{1B}[2J\u{7}\r""#), "\(status.stdout)")
        for output in [initDB.stderr, status.stdout] {
            for control in ["\u{1B}", "\u{07}", "\r"] { #expect(!output.contains(control)) }
        }
    }

    @Test("healthcheck shows what a server sent escaped: an ESC in its status line does not reach the terminal")
    func healthcheckEscapesTheServersWords() throws {
        let listener = try SilentListener()
        let program = try ProgramProcess(["healthcheck", "--url", "http://127.0.0.1:\(listener.port)/health"])
        try listener.waitForConnection()
        listener.answer("HTTP/1.1 5\(Self.escape)03 Bad\r\n\r\n")
        #expect(try program.wait() == 1)
        #expect(program.stdout.contains(#"HTTP status 5\u{1B}[2J03"#), "\(program.stdout)")
        #expect(!program.stdout.contains("\u{1B}"))
    }

    @Test("under --log-format json the fatal lines are JSON too", arguments: [
        (["--user", "no-such-user-here", "--", "true"], [String: String](), Int32(2)),
        (["--env-file", "missing.env", "--", "true"], [:], 2),
        (["status", "--env-file", "missing.env"], [:], 2),
        (["--", "true"], ["OPENROUTER_API_KEY": "one", "OPENROUTER_API_KEY_FILE": "/etc/hostname"], 2),
        (["restore", "webui-nothing.db"], [:], 1),
    ] as [([String], [String: String], Int32)])
    func fatalLinesAreJSON(arguments: [String], environment: [String: String], status: Int32) throws {
        let directory = try makeTemporaryDirectory().path
        let json = ["MAI_ENTRYPOINT_LOG_FORMAT": "json", "DATA_DIR": directory]
        let run = try runProgram(arguments, environment: json.merging(environment) { $1 }, workingDirectory: directory)
        #expect(run.process.terminationStatus == status, "\(run.stderr)")
        let lines = run.stderr.split(separator: "\n").map(String.init)
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not JSON: \(line)")
        }
        let last = try #require(lines.last)
        let object = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
        #expect(object?["level"] as? String == "error", "\(last)")
    }
}
