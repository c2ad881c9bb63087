import Foundation
import Glibc
import Testing

@Suite("Issue 12: a secret key that survives recreation")
struct SecretKeyCommandTests {
    /// The child writes the WEBUI_SECRET_KEY it got to a file (not to the log).
    func keyProbe(_ file: String) -> [String] {
        ["/bin/sh", "-c", #"printf '%s' "${WEBUI_SECRET_KEY-unset}" > "$0""#, file]
    }

    func inode(_ path: String) -> [Int]? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return [Int(info.st_ino), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec)]
    }

    @Test("no key given: 32 random bytes kept in DATA_DIR/.webui_secret_key (0600) and given to the server; the next start reuses it; never logged")
    func generatedThenReused() throws {
        let data = try makeTemporaryDirectory().path
        let probe = try makeTemporaryDirectory().path + "/key"
        let first = try runProgram(["--"] + keyProbe(probe), environment: ["DATA_DIR": data], pidNamespace: true)
        #expect(first.process.terminationStatus == 0, "\(first.stderr)")
        let path = data + "/.webui_secret_key"
        let key = try String(contentsOfFile: probe, encoding: .utf8)
        #expect(key.count == 64 && key.allSatisfy(\.isHexDigit))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == key + "\n")
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        #expect(first.stderr.contains("secret key generated for the server (WEBUI_SECRET_KEY), kept for later starts path=\(path)"), "\(first.stderr)")
        let before = inode(path)

        let second = try runProgram(["--"] + keyProbe(probe), environment: ["DATA_DIR": data], pidNamespace: true)
        #expect(second.process.terminationStatus == 0)
        #expect(try String(contentsOfFile: probe, encoding: .utf8) == key)
        #expect(second.stderr.contains("secret key reused for the server (WEBUI_SECRET_KEY) path=\(path)"))
        #expect(inode(path) == before)
        // Not the key, nor any 8 characters of it, in any line.
        let output = first.stderr + first.stdout + second.stderr + second.stdout
        let characters = Array(key)
        for start in 0...(characters.count - 8) {
            #expect(!output.contains(String(characters[start..<(start + 8)])))
        }
    }

    @Test("an existing key file is used as it is and never replaced")
    func existingKeyKept() throws {
        let data = try makeTemporaryDirectory().path
        let probe = try makeTemporaryDirectory().path + "/key"
        let path = data + "/.webui_secret_key"
        try "upstream-style-key+/=\n".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o640)
        let before = inode(path)
        let run = try runProgram(["--"] + keyProbe(probe), environment: ["DATA_DIR": data], pidNamespace: true)
        #expect(run.process.terminationStatus == 0)
        #expect(try String(contentsOfFile: probe, encoding: .utf8) == "upstream-style-key+/=")
        #expect(inode(path) == before)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "upstream-style-key+/=\n")
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o640)
    }

    @Test("a key given (WEBUI_SECRET_KEY, WEBUI_JWT_SECRET_KEY, an existing WEBUI_SECRET_KEY_FILE) wins: no key file is made")
    func givenKeysWin() throws {
        let data = try makeTemporaryDirectory().path
        let probe = try makeTemporaryDirectory().path + "/key"
        let given = try runProgram(["--"] + keyProbe(probe), environment: ["DATA_DIR": data, "WEBUI_SECRET_KEY": "given-key-value-1"], pidNamespace: true)
        #expect(given.process.terminationStatus == 0)
        #expect(try String(contentsOfFile: probe, encoding: .utf8) == "given-key-value-1")
        let jwt = try runProgram(["--"] + keyProbe(probe), environment: ["DATA_DIR": data, "WEBUI_JWT_SECRET_KEY": "jwt-key"], pidNamespace: true)
        #expect(jwt.process.terminationStatus == 0)
        #expect(try String(contentsOfFile: probe, encoding: .utf8) == "unset")
        let keyFile = try makeTemporaryDirectory().path + "/secret"
        try "from-a-file".write(toFile: keyFile, atomically: false, encoding: .utf8)
        let file = try runProgram(["--"] + keyProbe(probe), environment: ["DATA_DIR": data, "WEBUI_SECRET_KEY_FILE": keyFile], pidNamespace: true)
        #expect(file.process.terminationStatus == 0)
        #expect(try String(contentsOfFile: probe, encoding: .utf8) == "unset")
        #expect(file.stderr.contains("the server reads its secret key from WEBUI_SECRET_KEY_FILE path=\(keyFile)"))
        #expect(!FileManager.default.fileExists(atPath: data + "/.webui_secret_key"))
        // A WEBUI_SECRET_KEY_FILE that does not exist (yet) gives no key: one is kept in DATA_DIR.
        let missing = try runProgram(["--"] + keyProbe(probe), environment: ["DATA_DIR": data, "WEBUI_SECRET_KEY_FILE": keyFile + ".missing"], pidNamespace: true)
        #expect(missing.process.terminationStatus == 0)
        #expect(try String(contentsOfFile: probe, encoding: .utf8).count == 64)
        #expect(FileManager.default.fileExists(atPath: data + "/.webui_secret_key"))
    }

    @Test("the key is struck from every log line that would quote it")
    func keyRedacted() throws {
        let data = try makeTemporaryDirectory().path
        try "a-key-that-is-also-an-argument\n".write(toFile: data + "/.webui_secret_key", atomically: false, encoding: .utf8)
        let run = try runProgram(["--", "/bin/sh", "-c", "exit 0", "a-key-that-is-also-an-argument"], environment: ["DATA_DIR": data], pidNamespace: true)
        #expect(run.process.terminationStatus == 0)
        #expect(run.stderr.contains("child started command=\"/bin/sh -c exit 0 ***\""), "\(run.stderr)")
        #expect(!run.stderr.contains("a-key-that-is-also-an-argument"))
    }

    @Test("a key file in DATA_DIR of only blanks, or of two lines, is refused in one line naming it; exit 1",
          arguments: ["   \n", " \t \r\n", "first-key-line\nsecond-key-line\n", "one\r\ntwo"])
    func blankOrTwoLinesRefused(text: String) throws {
        let data = try makeTemporaryDirectory().path
        let path = data + "/.webui_secret_key"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o600)
        let probe = try makeTemporaryDirectory().path + "/key"
        let run = try runProgram(["--"] + keyProbe(probe), environment: ["DATA_DIR": data], pidNamespace: true)
        #expect(run.process.terminationStatus == 1, "\(run.stderr)")
        let errors = run.stderrLines.filter { $0.contains("error") }
        #expect(errors.count == 1, "\(run.stderr)")
        #expect(errors.first?.contains("cannot use the secret key file \(path): ") == true, "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: probe))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
        #expect(!run.stderr.contains("key-line"))
    }

    @Test("a key file in DATA_DIR that others may read (0644): one warning naming it, and the server starts with it")
    func readableByOthersWarned() throws {
        let data = try makeTemporaryDirectory().path
        let path = data + "/.webui_secret_key"
        try "world-readable-key\n".write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o644)
        let probe = try makeTemporaryDirectory().path + "/key"
        let run = try runProgram(["--"] + keyProbe(probe), environment: ["DATA_DIR": data], pidNamespace: true)
        #expect(run.process.terminationStatus == 0, "\(run.stderr)")
        #expect(try String(contentsOfFile: probe, encoding: .utf8) == "world-readable-key")
        let warnings = run.stderrLines.filter { $0.contains("warning:") }
        #expect(warnings.count == 1, "\(run.stderr)")
        #expect(warnings.first?.contains(path) == true && warnings.first?.contains("0644") == true, "\(run.stderr)")
        #expect(FileStatusMode.of(path) == 0o644)
    }

    @Test("a key file that is a symbolic link is refused in one line (never followed, never replaced); exit 1")
    func symbolicLinkRefused() throws {
        let data = try makeTemporaryDirectory().path
        let target = try makeTemporaryDirectory().path + "/elsewhere"
        try "not-for-the-server".write(toFile: target, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: data + "/.webui_secret_key", withDestinationPath: target)
        let probe = try makeTemporaryDirectory().path + "/key"
        let run = try runProgram(["--"] + keyProbe(probe), environment: ["DATA_DIR": data], pidNamespace: true)
        #expect(run.process.terminationStatus == 1)
        let errors = run.stderrLines.filter { $0.contains("error") }
        #expect(errors.count == 1)
        #expect(errors.first?.contains("cannot use the secret key file \(data)/.webui_secret_key: is a symbolic link (not followed)") == true, "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: probe))
        #expect(!run.stderr.contains("not-for-the-server"))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: data + "/.webui_secret_key")) == target)
    }
}

@Suite("Issue 12: warnings where Open WebUI will misbehave")
struct ServerWarningCommandTests {
    @Test("UVICORN_WORKERS=2 with SQLite, without Redis, on embedded Chroma: three scale-out warnings, and the server starts")
    func threeWarnings() throws {
        let data = try makeTemporaryDirectory().path
        let run = try runProgram(["--", "/bin/sh", "-c", "echo started"], environment: ["DATA_DIR": data, "UVICORN_WORKERS": "2"], pidNamespace: true)
        #expect(run.process.terminationStatus == 0)
        #expect(run.stdout == "started\n")
        let warnings = run.stderrLines.filter { $0.contains("warning:") }
        #expect(warnings.count == 3, "\(run.stderr)")
        #expect(warnings.first?.contains("scale-out: UVICORN_WORKERS=2 with SQLite (DATABASE_URL): SQLite takes one writer at a time") == true)
        #expect(warnings.dropFirst().first?.contains("scale-out: UVICORN_WORKERS=2 without WEBSOCKET_MANAGER=redis") == true)
        #expect(warnings.last?.contains("scale-out: UVICORN_WORKERS=2 with VECTOR_DB=chroma embedded (no CHROMA_HTTP_HOST)") == true)
    }

    @Test("--require-scale-out-safe: replicas without shared files exit 1 before anything is made or started")
    func requiredScaleOut() throws {
        let data = try makeTemporaryDirectory().path + "/data"
        let marker = data + "/started"
        let run = try runProgram(["--require-scale-out-safe", "--", "/bin/sh", "-c", "touch \(marker)"],
                                 environment: ["DATA_DIR": data, "MAI_ENTRYPOINT_REPLICATED": "true", "WEBUI_SECRET_KEY": "k",
                                               "DATABASE_URL": "postgresql://u@127.0.0.1:1/db", "WEBSOCKET_MANAGER": "redis",
                                               "CHROMA_HTTP_HOST": "127.0.0.1"], pidNamespace: true)
        #expect(run.process.terminationStatus == 1, "\(run.stderr)")
        let errors = run.stderrLines.filter { $0.contains("error:") }
        #expect(errors.count == 2, "\(run.stderr)")
        #expect(errors.first?.contains("scale-out: replicas (MAI_ENTRYPOINT_REPLICATED=true) with uploads in each container's DATA_DIR/uploads (STORAGE_PROVIDER=local)") == true)
        #expect(errors.last?.contains("not starting the server: 1 scale-out requirement(s) not met (--require-scale-out-safe)") == true)
        #expect(!FileManager.default.fileExists(atPath: marker) && !FileManager.default.fileExists(atPath: data))
    }

    @Test("workers on PostgreSQL, Redis and a vector server, or one worker: no scale-out warning")
    func noWarning() throws {
        let data = try makeTemporaryDirectory().path
        for environment in [["UVICORN_WORKERS": "4", "WEBSOCKET_MANAGER": "redis", "DATABASE_URL": "postgresql://u@127.0.0.1:1/db", "VECTOR_DB": "pgvector",
                             "WEBUI_SECRET_KEY": "k", "MAI_ENTRYPOINT_SHARED_DATA": "true"],
                            ["UVICORN_WORKERS": "1"]] {
            let run = try runProgram(["--", "true"], environment: environment.merging(["DATA_DIR": data]) { $1 }, pidNamespace: true)
            #expect(run.process.terminationStatus == 0)
            // (The PostgreSQL run also warns that the migration gate has no scripts and no server: not about workers.)
            #expect(!run.stderrLines.contains { $0.contains("scale-out:") }, "\(run.stderr)")
        }
        let one = try runProgram(["--", "true"], environment: ["DATA_DIR": data, "UVICORN_WORKERS": "3", "WEBSOCKET_MANAGER": "redis", "CHROMA_HTTP_HOST": "chroma"], pidNamespace: true)
        #expect(one.stderrLines.filter { $0.contains("warning:") }.count == 1)
    }
}

/// A file's permission bits, as `ls -l` shows them.
enum FileStatusMode {
    static func of(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
    }
}
