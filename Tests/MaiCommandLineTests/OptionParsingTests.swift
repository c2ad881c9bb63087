import MaiDatabase
import MaiSystem
import Testing
@testable import MaiCommandLine

@Suite struct OptionParsingTests {
    @Test func seconds() {
        #expect(parseSeconds("8") == .seconds(8))
        #expect(parseSeconds("0.5") == .milliseconds(500))
        #expect(parseSeconds("2s") == .seconds(2))
        #expect(parseSeconds("-1") == nil)
        #expect(parseSeconds("soon") == nil)
        #expect(parseSeconds("nan") == nil)
        #expect(parseSeconds("inf") == nil)
    }

    @Test func environmentVariableNames() {
        #expect(OptionEnvironment.variable(for: "stop-timeout") == "MAI_ENTRYPOINT_STOP_TIMEOUT")
    }

    /// The parser finds where the command starts; a word it does not know as an option stops it.
    @Test func commandStartsAfterDoubleDashOrAtFirstWord() throws {
        let cases: [([String], Int, String?)] = [
            (["--stop-timeout", "3", "--", "env"], 1, nil),
            (["--signal-group", "bash", "-c", "x"], 3, nil),
            (["--tag-child-output=webui", "uvicorn"], 1, nil),
            (["sh", "--", "x"], 3, nil),
            (["--", "--", "x"], 2, nil),
            (["--log-tag", "--", "--", "x"], 1, nil),
            (["--no-such-option", "--", "x"], 3, "--no-such-option"),
            ([], 0, nil),
        ]
        for (arguments, length, unknown) in cases {
            let command = try RunCommand.parse(arguments)
            #expect(command.commandLength == length, "\(arguments)")
            #expect(command.unknownOption() == unknown, "\(arguments)")
        }
        #expect(throws: (any Error).self) { try RunCommand.parse(["--stop-timeout", "-1", "--", "x"]) }
    }

    /// `--startup-grace abc` was accepted when `--health-url off`; a negative number after a space was a
    /// missing value.
    @Test func everyValueCheckedWhenParsed() {
        for arguments in [["--health-url", "off", "--startup-grace", "abc"], ["--stop-timeout", "-1"], ["--init-timeout", "-3"],
                          ["--log-level", "loud"], ["--log-format", "xml"], ["--health-url", "https://x/health"],
                          ["--secret-file-vars", "A,1B"]] {
            #expect(throws: (any Error).self, "\(arguments)") { try RunCommand.parse(arguments + ["--", "true"]) }
        }
        let message = RunCommand.message(for: parseError(["--stop-timeout", "-1", "--", "true"]))
        #expect(message.contains("not a number of seconds"), "\(message)")
    }

    /// `--drain` and `MAI_ENTRYPOINT_DRAIN` (issue 13): the command line wins; the default is no drain; the
    /// variable is checked even when the option hides it.
    @Test func drain() throws {
        let none = OptionEnvironment(EnvironmentBlock(strings: []))
        #expect(try RunCommand.parse(["--", "true"]).supervisorConfiguration(none).drain == .zero)
        #expect(try RunCommand.parse(["--drain", "2.5", "--", "true"]).supervisorConfiguration(none).drain == .milliseconds(2500))
        let five = OptionEnvironment(EnvironmentBlock(strings: ["MAI_ENTRYPOINT_DRAIN=5s"]))
        #expect(try RunCommand.parse(["--", "true"]).supervisorConfiguration(five).drain == .seconds(5))
        #expect(try RunCommand.parse(["--drain", "1", "--", "true"]).supervisorConfiguration(five).drain == .seconds(1))
        let bad = OptionEnvironment(EnvironmentBlock(strings: ["MAI_ENTRYPOINT_DRAIN=soon"]))
        #expect(throws: UsageError.self) { try RunCommand.parse(["--drain", "1", "--", "true"]).supervisorConfiguration(bad) }
        #expect(throws: (any Error).self) { try RunCommand.parse(["--drain", "-1", "--", "true"]) }
    }

    @Test func variablesCheckedEvenWhenUnused() throws {
        let environment = OptionEnvironment(EnvironmentBlock(strings: ["MAI_ENTRYPOINT_STARTUP_GRACE=abc", "MAI_ENTRYPOINT_HEALTH_URL=off"]))
        let command = try RunCommand.parse(["--", "true"])
        #expect(throws: UsageError.self) { try command.settings(environment) }
        let stop = OptionEnvironment(EnvironmentBlock(strings: ["MAI_ENTRYPOINT_STOP_TIMEOUT=x"]))
        #expect(throws: UsageError.self) { try RunCommand.parse(["--stop-timeout", "3", "--", "true"]).settings(stop) }
    }

    /// The first entry of a repeated name is the one read, as `getenv` reads it.
    @Test func optionVariablesReadTheFirstEntry() throws {
        let environment = OptionEnvironment(EnvironmentBlock(strings: ["MAI_ENTRYPOINT_STOP_TIMEOUT=3", "MAI_ENTRYPOINT_STOP_TIMEOUT=x"]))
        let settings = try RunCommand.parse(["--", "true"]).settings(environment)
        #expect(settings.supervisor.stopTimeout == .seconds(3))
    }
}

/// The error swift-argument-parser throws for these arguments.
private func parseError(_ arguments: [String]) -> any Error {
    do {
        _ = try RunCommand.parse(arguments)
        return UsageError("parsed")
    } catch {
        return error
    }
}

/// Issue 18: Open WebUI's scale-out checklist, verdict by verdict, for the shapes operators run.
@Suite struct ScaleOutChecklistTests {
    static let sqlite = DatabaseLocation.sqlite(path: "/data/webui.db")
    static let postgres = DatabaseLocation.postgres(PostgresTarget(uri: "postgresql://db/x"))
    static let local = "22 1 0:21 / / rw,relatime - overlay overlay rw\n"
    static let nfs = local + "31 22 0:40 / /app/backend/data rw,relatime - nfs4 server:/export rw,vers=4.2\n"
    static let spaced = local + "32 22 0:41 / /srv/mai\\040data rw - fuse.glusterfs gluster:/vol rw\n"

    /// (variables, location, mountinfo) → the shape, and the verdicts in order (key, database, websockets, files, vectors).
    static let cases: [(String, [String: String], DatabaseLocation?, String, String, [Bool])] = [
        ("defaults: single instance, nothing to check", [:], sqlite, local, "single", []),
        ("one worker", ["UVICORN_WORKERS": "1"], sqlite, local, "single", []),
        ("workers only, SQLite", ["UVICORN_WORKERS": " 4 "], sqlite, local, "workers", [false, false, false]),
        ("workers, PostgreSQL, no Redis, Chroma server", ["UVICORN_WORKERS": "2", "VECTOR_DB": "chroma", "CHROMA_HTTP_HOST": "chroma"],
         postgres, local, "workers", [true, false, true]),
        ("PostgreSQL + Redis, one instance: counts as replicas", ["WEBSOCKET_MANAGER": "redis", "WEBUI_SECRET_KEY": "k"],
         postgres, local, "replicas", [true, true, true, false, false]),
        ("Redis spelled otherwise is not Redis (Open WebUI compares exactly)", ["WEBSOCKET_MANAGER": "Redis", "UVICORN_WORKERS": "2"],
         postgres, local, "workers", [true, false, false]),
        ("replicated, all met with NFS and a Chroma server", ["MAI_ENTRYPOINT_REPLICATED": "true", "WEBSOCKET_MANAGER": "redis", "CHROMA_HTTP_HOST": "chroma"],
         postgres, nfs, "replicas", [true, true, true, true, true]),
        ("replicated, said shared, slim image (pgvector by default)", ["MAI_ENTRYPOINT_REPLICATED": "1", "MAI_ENTRYPOINT_SHARED_DATA": "true", "USE_SLIM_DOCKER": "true", "WEBSOCKET_MANAGER": "redis"],
         postgres, local, "replicas", [true, true, true, true, true]),
        ("replicated, S3 storage, Milvus on a file, no key", ["MAI_ENTRYPOINT_REPLICATED": "true", "STORAGE_PROVIDER": "s3", "VECTOR_DB": "milvus", "WEBSOCKET_MANAGER": "redis"],
         postgres, local, "replicas", [false, true, true, true, false]),
        ("replicated, Milvus and Qdrant servers", ["MAI_ENTRYPOINT_REPLICATED": "true", "VECTOR_DB": "milvus", "MILVUS_URI": "http://milvus:19530", "WEBUI_SECRET_KEY": "k", "WEBSOCKET_MANAGER": "redis"],
         postgres, local, "replicas", [true, true, true, false, true]),
        ("replicated, Qdrant without QDRANT_URI, DATA_DIR on glusterfs with a space", ["MAI_ENTRYPOINT_REPLICATED": "true", "VECTOR_DB": "qdrant", "DATA_DIR": "/srv/mai data"],
         sqlite, spaced, "replicas", [true, false, false, true, false]),
        ("replicated, the key as a file (a Docker secret)", ["MAI_ENTRYPOINT_REPLICATED": "true", "WEBUI_SECRET_KEY_FILE": "/proc/self/status", "WEBSOCKET_MANAGER": "redis", "CHROMA_HTTP_HOST": "c"],
         postgres, nfs, "replicas", [true, true, true, true, true]),
        ("websockets off need no Redis", ["UVICORN_WORKERS": "2", "ENABLE_WEBSOCKET_SUPPORT": "false", "VECTOR_DB": "pgvector"], postgres, local, "workers", [true, true, true]),
    ]

    @Test("verdicts", arguments: 0..<13)
    func verdicts(_ index: Int) {
        let (label, variables, location, mountinfo, shape, verdicts) = Self.cases[index]
        let data = variables["DATA_DIR"] ?? "/app/backend/data"
        let checklist = ScaleOutChecklist(variables, location: location, dataDirectory: data, mountinfo: mountinfo)
        let kind = switch checklist.shape { case .single: "single"; case .workers: "workers"; case .replicas: "replicas" }
        #expect(kind == shape, "\(label)")
        #expect(checklist.findings.map(\.met) == verdicts, "\(label): \(checklist.statusLine)")
    }

    @Test func linesNameTheVariableAndTheLoss() {
        let checklist = ScaleOutChecklist(["UVICORN_WORKERS": "4"], location: Self.sqlite, dataDirectory: "/data", mountinfo: Self.local)
        let lines = checklist.unmet.map(\.line)
        #expect(lines[0].hasPrefix("UVICORN_WORKERS=4 with SQLite (DATABASE_URL): SQLite takes one writer at a time"))
        #expect(lines[1].hasPrefix("UVICORN_WORKERS=4 without WEBSOCKET_MANAGER=redis"))
        #expect(lines[2].hasPrefix("UVICORN_WORKERS=4 with VECTOR_DB=chroma embedded (no CHROMA_HTTP_HOST)") && lines[2].contains("not found by RAG"))
        #expect(ScaleOutChecklist([:], location: Self.sqlite, dataDirectory: "/data", mountinfo: "").statusLine.hasPrefix("scale-out: single instance"))
        #expect(checklist.statusLine == "scale-out: 4 workers in one container: database NOT MET, websockets NOT MET, vectors NOT MET")
    }

    @Test func mountTableFindsTheMountHoldingAPath() {
        let table = MountTable(Self.nfs + "40 31 0:50 / /app/backend/data/cache rw - tmpfs tmpfs rw\n")
        #expect(table.mount(containing: "/app/backend/data/uploads")?.type == "nfs4")
        #expect(table.mount(containing: "/app/backend/data/cache/x")?.type == "tmpfs")
        #expect(table.mount(containing: "/app/backend/database")?.type == "overlay")
        #expect(MountTable(Self.spaced).mount(containing: "/srv/mai data/uploads")?.isNetworkFileSystem == true)
    }

    @Test func userOptions() throws {
        let parsed = try RunCommand.parse(["--user", "app:staff", "--chown-data", "--", "x"])
        let settings = try parsed.serverUser.settings(OptionEnvironment(EnvironmentBlock()))
        #expect(settings.spec?.description == "app:staff" && settings.chownData)
        #expect(throws: (any Error).self) { try RunCommand.parse(["--user", "a:b:c", "--", "x"]) }
        let fromEnvironment = try RunCommand.parse(["x"]).serverUser.settings(OptionEnvironment(EnvironmentBlock(strings: [
            "MAI_ENTRYPOINT_USER=1000:1000", "MAI_ENTRYPOINT_CHOWN_DATA=true",
        ])))
        #expect(fromEnvironment.spec?.description == "1000:1000" && fromEnvironment.chownData && fromEnvironment.source == "MAI_ENTRYPOINT_USER")
        #expect(throws: UsageError.self) {
            try RunCommand.parse(["--chown-data", "x"]).serverUser.settings(OptionEnvironment(EnvironmentBlock()))
        }
        #expect(throws: UsageError.self) {
            try RunCommand.parse(["x"]).serverUser.settings(OptionEnvironment(EnvironmentBlock(strings: ["MAI_ENTRYPOINT_USER=a:"])))
        }
    }
}
