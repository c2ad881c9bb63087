@testable import MaiOpenWebUI
import MaiSQL
import Testing

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

    /// Every start checks the list: only replicas read /proc/self/mountinfo and look for the key file (issue 23).
    @Test func onlyReplicasReadTheFileSystem() {
        var reads: [String] = []
        func mountinfo(_ label: String) -> String {
            reads.append(label)
            return Self.nfs
        }
        let exists: (String) -> Bool = { path in
            reads.append(path)
            return false
        }
        _ = ScaleOutChecklist([:], location: Self.sqlite, dataDirectory: "/data", mountinfo: mountinfo("single"), exists: exists)
        _ = ScaleOutChecklist(["UVICORN_WORKERS": "4", "WEBUI_SECRET_KEY_FILE": "/k"], location: Self.sqlite, dataDirectory: "/data",
                              mountinfo: mountinfo("workers"), exists: exists)
        #expect(reads.isEmpty)
        let replicas = ScaleOutChecklist(["MAI_ENTRYPOINT_REPLICATED": "true"], location: Self.sqlite, dataDirectory: "/app/backend/data",
                                         mountinfo: mountinfo("replicas"), exists: exists)
        #expect(reads.contains("replicas"))
        #expect(replicas.statusLine.contains("files ok"), "\(replicas.statusLine)")
    }

    @Test func mountTableFindsTheMountHoldingAPath() {
        let table = MountTable(Self.nfs + "40 31 0:50 / /app/backend/data/cache rw - tmpfs tmpfs rw\n")
        #expect(table.mount(containing: "/app/backend/data/uploads")?.type == "nfs4")
        #expect(table.mount(containing: "/app/backend/data/cache/x")?.type == "tmpfs")
        #expect(table.mount(containing: "/app/backend/database")?.type == "overlay")
        #expect(MountTable(Self.spaced).mount(containing: "/srv/mai data/uploads")?.isNetworkFileSystem == true)
    }
}
