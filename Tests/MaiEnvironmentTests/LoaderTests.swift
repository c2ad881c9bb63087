import Glibc
import MaiEnvironment
import MaiSystem
import Testing

@Suite struct LoaderTests {
    @Test(arguments: [
        ([String: String](), ".env"), (["ENV": "prod"], ".env"), (["ENV": "dev"], ".env.dev"),
        (["ENV": "development"], ".env.dev"), (["ENV": "DEV"], ".env.dev"), (["ENV": "devel"], ".env"),
    ])
    func defaultFile(_ environment: [String: String], _ file: String) {
        let block = EnvironmentBlock(strings: environment.map { "\($0.key)=\($0.value)" })
        #expect(EnvironmentLoader.defaultFile(environment: block) == file)
    }

    @Test func missingDefaultFileIsNotAnError() throws {
        let folder = try TemporaryFolder()
        let loader = EnvironmentLoader(request: EnvironmentRequest(), processEnvironment: ["A=1"], directory: folder.path)
        let loaded = try loader.load()
        #expect(loaded.files == [.missingDefault(path: "\(folder.path)/.env")])
        #expect(loaded.environment == EnvironmentBlock(strings: ["A=1"]))
        #expect(loaded.variables.isEmpty)
    }

    @Test func developmentReadsEnvDev() throws {
        let folder = try TemporaryFolder()
        try folder.write(".env", "WHICH=prod\n")
        try folder.write(".env.dev", "WHICH=dev\n")
        let environment = ["ENV=dev"]
        let loaded = try EnvironmentLoader(request: EnvironmentRequest(), processEnvironment: environment, directory: folder.path).load()
        #expect(loaded.values["WHICH"] == "dev")
        #expect(loaded.files == [.loaded(path: "\(folder.path)/.env.dev", variables: 1)])
    }

    @Test func namedFileMustExist() throws {
        let folder = try TemporaryFolder()
        let path = "\(folder.path)/absent.env"
        let loader = EnvironmentLoader(request: EnvironmentRequest(files: [path]), processEnvironment: [])
        #expect(throws: EnvironmentError.fileUnreadable(path: path, reason: "no such file")) { try loader.load() }
    }

    @Test func directoryIsNotAnEnvFile() throws {
        let folder = try TemporaryFolder()
        let loader = EnvironmentLoader(request: EnvironmentRequest(files: [folder.path]), processEnvironment: [])
        #expect(throws: EnvironmentError.fileUnreadable(path: folder.path, reason: "is a directory")) { try loader.load() }
    }

    /// Opening a FIFO for reading waits for a writer: it must be refused without being opened that way.
    @Test func fifoAndDeviceAreRefusedWithoutBlocking() throws {
        let folder = try TemporaryFolder()
        let fifo = folder.path + "/fifo.env"
        #expect(mkfifo(fifo, 0o600) == 0)
        for (path, kind) in [(fifo, "a FIFO"), ("/dev/null", "a device")] {
            let loader = EnvironmentLoader(request: EnvironmentRequest(files: [path]), processEnvironment: [])
            #expect(throws: EnvironmentError.fileUnreadable(path: path, reason: "not a regular file (\(kind))")) { try loader.load() }
        }
    }

    /// What the child gets keeps the process environment's bytes, even those that are not UTF-8; only what a
    /// file sets is written anew.
    @Test func processEntriesKeepTheirBytes() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("test.env", "B=new\nC=${A}\n")
        let raw: [UInt8] = Array("A=x".utf8) + [0xFF, 0xFE]
        let process = EnvironmentBlock([raw, Array("B=old".utf8), Array("A=second".utf8)])
        let loaded = try EnvironmentLoader(request: EnvironmentRequest(files: [path], override: true), processEnvironment: process).load()
        #expect(loaded.environment.entries == [raw, Array("B=new".utf8), Array("A=second".utf8), Array("C=x\u{FFFD}\u{FFFD}".utf8)])
    }

    @Test func hugeFileIsRefused() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("huge.env", bytes: [UInt8](repeating: UInt8(ascii: "#"), count: EnvironmentLoader.fileSizeLimit + 1))
        let loader = EnvironmentLoader(request: EnvironmentRequest(files: [path]), processEnvironment: [])
        #expect(throws: EnvironmentError.fileUnreadable(path: path, reason: "larger than \(EnvironmentLoader.fileSizeLimit) bytes")) {
            try loader.load()
        }
    }

    @Test func laterFilesWinAndSeeEarlierOnes() throws {
        let folder = try TemporaryFolder()
        let first = try folder.write("a.env", "A=1\nB=first\n")
        let second = try folder.write("b.env", "\nB=second-${A}\nC=3\n")
        let loaded = try EnvironmentLoader(request: EnvironmentRequest(files: [first, second]), processEnvironment: []).load()
        #expect(loaded.variables == [
            LoadedVariable(name: "A", value: "1", source: .file(SourceLocation(file: first, line: 1))),
            LoadedVariable(name: "B", value: "second-1", source: .file(SourceLocation(file: second, line: 2))),
            LoadedVariable(name: "C", value: "3", source: .file(SourceLocation(file: second, line: 3))),
        ])
        #expect(loaded.files == [.loaded(path: first, variables: 2), .loaded(path: second, variables: 2)])
    }

    @Test func environmentWinsOverEveryFileUnlessOverridden() throws {
        let folder = try TemporaryFolder()
        let first = try folder.write("a.env", "PORT=1\n")
        let second = try folder.write("b.env", "PORT=2\n")
        let request = EnvironmentRequest(files: [first, second])
        let kept = try EnvironmentLoader(request: request, processEnvironment: ["PORT=9"]).load()
        #expect(kept.values["PORT"] == "9")
        #expect(kept.variables == [LoadedVariable(name: "PORT", value: "9", source: .environment)])
        var overriding = request
        overriding.override = true
        let overridden = try EnvironmentLoader(request: overriding, processEnvironment: ["PORT=9"]).load()
        #expect(overridden.values["PORT"] == "2")
    }

    @Test func mergedListKeepsEnvironmentOrder() throws {
        let loaded = try load("B=new\nD=added\nE=also\n", environment: ["A=1", "B=old", "C=3", "B=duplicate", "NOEQUALS"], override: true)
        #expect(loaded.environment == EnvironmentBlock(strings: ["A=1", "B=new", "C=3", "NOEQUALS", "D=added", "E=also"]))
        #expect(loaded.values == ["A": "1", "B": "new", "C": "3", "D": "added", "E": "also"])
    }

    @Test func firstOfDuplicateEnvironmentEntriesIsTheProcessValue() throws {
        #expect(try load("X=${A}\n", environment: ["A=first", "A=second"]).values["X"] == "first")
    }
}

@Suite struct SecretFileTests {
    @Test func secretFileSetsVariable() throws {
        let folder = try TemporaryFolder()
        let secret = try folder.write("key", "sk-or-v1-abc\n\n")
        let loaded = try load("OPENROUTER_API_KEY_FILE=\(secret)\n")
        #expect(loaded.values["OPENROUTER_API_KEY"] == "sk-or-v1-abc\n")
        #expect(loaded.variables.last == LoadedVariable(name: "OPENROUTER_API_KEY", value: "sk-or-v1-abc\n", source: .secretFile(path: secret)))
        #expect(loaded.variables.last?.source.description == "secret file \(secret)")
    }

    @Test func variableInEnvironmentAndFileVariableInEnvFileConflict() throws {
        let folder = try TemporaryFolder()
        let secret = try folder.write("pw", "x")
        #expect(throws: EnvironmentError.secretConflict(variable: "DATABASE_PASSWORD", fileVariable: "DATABASE_PASSWORD_FILE")) {
            try load("DATABASE_PASSWORD_FILE=\(secret)\n", environment: ["DATABASE_PASSWORD=p"])
        }
    }

    @Test func onlyNamedVariablesReadFiles() throws {
        let loaded = try load("WEBUI_SECRET_KEY_FILE=/nonexistent/key\nMY_TOKEN_FILE=/nonexistent/token\n")
        #expect(loaded.values["WEBUI_SECRET_KEY"] == nil)
        #expect(loaded.values["MY_TOKEN"] == nil)
        #expect(throws: EnvironmentError.secretUnreadable(variable: "MY_TOKEN", path: "/nonexistent/token", reason: "no such file")) {
            try load("MY_TOKEN_FILE=/nonexistent/token\n", secrets: ["MY_TOKEN"])
        }
    }

    @Test(arguments: [
        ([UInt8]([0x66, 0xFF]), "not UTF-8 text"),
        ([UInt8]([0x61, 0x00, 0x62]), "contains a NUL byte"),
        ([UInt8](repeating: 0x61, count: 200_000), "larger than \(32 * 4096 - 1) bytes"),
    ])
    func unusableSecretIsAnErrorNamingTheFile(_ content: [UInt8], _ reason: String) throws {
        let folder = try TemporaryFolder()
        let secret = try folder.write("secret", bytes: content)
        #expect(throws: EnvironmentError.secretUnreadable(variable: "DATABASE_URL", path: secret, reason: reason)) {
            try load("DATABASE_URL_FILE=\(secret)\n")
        }
    }

    @Test func errorsNameTheFileNotTheContent() throws {
        let folder = try TemporaryFolder()
        let secret = try folder.write("secret", bytes: Array("top-secret-value".utf8) + [0xFF])
        do {
            _ = try load("DATABASE_URL_FILE=\(secret)\n")
            Issue.record("loaded a secret that is not UTF-8")
        } catch {
            #expect(error.description.contains(secret))
            #expect(!error.description.contains("top-secret"))
        }
    }
}
