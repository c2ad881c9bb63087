import Foundation
import Glibc
import Testing

/// No secret in any line, whatever path prints it: error lines of every subcommand, libpq's secret keywords,
/// values read from secret files, a health URL's userinfo.
@Suite("No secret in any line")
struct SecretLinesTests {
    /// DATABASE_URLs whose password `maskURLPasswords` alone does not find; each holds `secret`.
    static let hiddenPasswords: [(url: String, secret: String)] = [
        ("postgresql://mai@127.0.0.1:1/mai?password=QueryPassw0rd", "QueryPassw0rd"),
        ("postgresql://mai:pass word with spaces@127.0.0.1:1/mai", "word with spaces"),
        ("postgresql://mai@127.0.0.1:1/mai?sslmode=require&sslpassword=KeyPassphrase9", "KeyPassphrase9"),
    ]

    @Test("backups and restore: the \"is PostgreSQL\" error masks the password wherever the URL holds it",
          arguments: ["backups", "restore"], [0, 1, 2])
    func backupCommandsMaskThePassword(command: String, index: Int) throws {
        let (url, secret) = Self.hiddenPasswords[index]
        let directory = try makeTemporaryDirectory().path
        let run = try runProgram([command], environment: ["DATABASE_URL": url], workingDirectory: directory)
        #expect(run.process.terminationStatus == 1, "\(run.stderr)")
        #expect(run.stderr.contains("is PostgreSQL"), "\(run.stderr)")
        #expect(!(run.stdout + run.stderr).contains(secret), "\(run.stderr)")
        #expect(!(run.stdout + run.stderr).contains("Pass"), "a piece of the secret: \(run.stderr)")
    }

    @Test("sslpassword is masked with the password by the run, status and init-db", arguments: [
        ["status"], ["init-db"], ["--", "true"],
    ])
    func sslPasswordIsMasked(arguments: [String]) throws {
        let directory = try makeTemporaryDirectory().path
        let url = "postgresql://mai@127.0.0.1:1/mai?sslpassword=KeyPassphrase9"
        let environment = tracking(url, ["MAI_ENTRYPOINT_INIT_TIMEOUT": "0.2", "DATA_DIR": directory])
        let run = try runProgram(arguments, environment: environment, workingDirectory: directory)
        let output = run.stdout + run.stderr
        #expect(output.contains("sslpassword=***") || output.contains("127.0.0.1"), "\(output)")
        #expect(!output.contains("Passphrase") && !output.contains("KeyP"), "\(output)")
    }

    @Test("env: a DATABASE_URL holding the password in ?password=, with blanks, or in sslpassword= shows none of it",
          arguments: [0, 1, 2])
    func envMasksEveryReading(index: Int) throws {
        let (url, secret) = Self.hiddenPasswords[index]
        let directory = try makeTemporaryDirectory().path
        try "DATABASE_URL='\(url)'\n".write(toFile: directory + "/.env", atomically: true, encoding: .utf8)
        for format in ["text", "json"] {
            let run = try runProgram(["env", "--log-format", format], environment: ["ENV": "prod"], workingDirectory: directory)
            #expect(run.process.terminationStatus == 0, "\(run.stderr)")
            #expect(run.stdout.contains("DATABASE_URL"), "\(run.stdout)")
            #expect(!(run.stdout + run.stderr).contains(secret), "\(run.stdout)")
        }
    }

    @Test("env masks a value that came from a secret file, whatever its name")
    func envMasksSecretFileValues() throws {
        let directory = try makeTemporaryDirectory().path
        try "plain-looking-secret-value".write(toFile: directory + "/setting", atomically: true, encoding: .utf8)
        try "MY_SETTING_FILE=\(directory)/setting\n".write(toFile: directory + "/.env", atomically: true, encoding: .utf8)
        let run = try runProgram(["env", "--secret-file-vars", "MY_SETTING"], environment: ["ENV": "prod"], workingDirectory: directory)
        #expect(run.process.terminationStatus == 0, "\(run.stderr)")
        #expect(run.stdout.contains("MY_SETTING=***  # secret file"), "\(run.stdout)")
        #expect(!(run.stdout + run.stderr).contains("looking"), "\(run.stdout)")
    }

    @Test("healthcheck --url with userinfo: the error does not echo the credentials")
    func healthcheckHidesUserinfo() throws {
        let directory = try makeTemporaryDirectory().path
        let run = try runProgram(["healthcheck", "--url", "http://admin:HealthPassw0rd@127.0.0.1:1/health"],
                                 workingDirectory: directory)
        #expect(run.process.terminationStatus == 1)
        #expect(!(run.stdout + run.stderr).contains("HealthPassw0rd"), "\(run.stdout)\(run.stderr)")
    }
}
