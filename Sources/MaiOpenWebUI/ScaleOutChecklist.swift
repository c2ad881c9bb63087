import Glibc
import MaiDataDirectory
import MaiSQL
import MaiSystem

/// Open WebUI's own checklist for more than one process or instance (its scaling and multi-replica guides): the
/// same `WEBUI_SECRET_KEY` everywhere, an external database, websockets through Redis, shared files, and vectors
/// in a server. Each requirement is read from the variables Open WebUI 0.12.4 itself reads (line numbers of its
/// `open_webui/config.py` and `open_webui/env.py`). A pure value: the tests drive it with tables of variables and
/// a mount table.
public struct ScaleOutChecklist: Equatable {
    /// How many processes share the data: one; several workers in one container; several instances.
    enum Shape: Equatable {
        case single
        case workers(Int)
        /// Why this run counts as one of several instances.
        case replicas(String)
    }

    enum Requirement: String, CaseIterable {
        case secretKey = "secret key", database, websockets, files, vectors
    }

    public struct Finding: Equatable {
        let requirement: Requirement
        let met: Bool
        /// For an unmet one: the variable and what users would lose, as one warning line.
        public let line: String
    }

    let shape: Shape
    let findings: [Finding]

    public var unmet: [Finding] { findings.filter { !$0.met } }

    /// `mountinfo` is the text of /proc/self/mountinfo; `dataDirectory` DATA_DIR, resolved; `exists` is asked about
    /// WEBUI_SECRET_KEY_FILE's path, as the key's own rule does. Only replicas need the facts about DATA_DIR (its
    /// key, its file system): a single instance or one with workers reads no file (every start is one of those).
    public init(_ environment: [String: String], location: DatabaseLocation?, dataDirectory: String,
                mountinfo: @autoclosure () -> String, exists: (String) -> Bool = { access($0, F_OK) == 0 }) {
        let shape = Self.shape(environment, location: location)
        let required: [Requirement] = switch shape {
        case .single: []
        // Workers of one container share its key and its files.
        case .workers: [.database, .websockets, .vectors]
        case .replicas: Requirement.allCases
        }
        var facts = Facts(environment, location: location)
        if case .replicas = shape {
            facts.keyGiven = SecretKeySource.decide(environment, dataDirectory: dataDirectory, exists: exists).isGiven
            facts.sharedData = Self.sharedData(environment, dataDirectory, mountinfo())
        }
        self.shape = shape
        self.findings = required.map { facts.finding($0, shape: shape) }
    }

    private static func shape(_ environment: [String: String], location: DatabaseLocation?) -> Shape {
        if flag(environment["MAI_ENTRYPOINT_REPLICATED"]) { return .replicas("MAI_ENTRYPOINT_REPLICATED=true") }
        if case .postgres? = location, environment["WEBSOCKET_MANAGER"] == "redis" {
            return .replicas("PostgreSQL with WEBSOCKET_MANAGER=redis")
        }
        let workers = Int(environment["UVICORN_WORKERS"]?.filter { $0 != " " && $0 != "\t" } ?? "") ?? 1
        return workers > 1 ? .workers(workers) : .single
    }

    /// DATA_DIR is one folder for every instance: said so, or a network file system holds it.
    private static func sharedData(_ environment: [String: String], _ dataDirectory: String, _ mountinfo: String) -> String? {
        if flag(environment["MAI_ENTRYPOINT_SHARED_DATA"]) { return "MAI_ENTRYPOINT_SHARED_DATA=true" }
        guard let mount = MountTable(mountinfo).mount(containing: dataDirectory), mount.isNetworkFileSystem else { return nil }
        return "DATA_DIR on \(mount.type) at \(mount.point)"
    }

    /// What `status` prints: `scale-out: single instance`, or the shape and each requirement's verdict.
    public var statusLine: String {
        let verdicts = findings.map { "\($0.requirement.rawValue) \($0.met ? "ok" : "NOT MET")" }
        switch shape {
        case .single: return "scale-out: single instance (one worker, not replicated): nothing to share"
        case .workers(let count): return "scale-out: \(count) workers in one container: " + verdicts.joined(separator: ", ")
        case .replicas(let why): return "scale-out: replicas (\(why)): " + verdicts.joined(separator: ", ")
        }
    }
}

private func flag(_ value: String?) -> Bool {
    ["1", "true", "yes", "on"].contains(value?.lowercased() ?? "")
}

/// What the checklist reads from the variables, with Open WebUI's defaults.
private struct Facts {
    let environment: [String: String]
    let sqlite: Bool
    /// Replicas only (the key and the files): nil and false for the others.
    var sharedData: String?
    var keyGiven = false

    init(_ environment: [String: String], location: DatabaseLocation?) {
        self.environment = environment
        if case .sqlite? = location { sqlite = true } else { sqlite = false }
    }

    func value(_ name: String) -> String { environment[name] ?? "" }

    func finding(_ requirement: ScaleOutChecklist.Requirement, shape: ScaleOutChecklist.Shape) -> ScaleOutChecklist.Finding {
        let (met, line) = check(requirement, who: who(shape))
        return ScaleOutChecklist.Finding(requirement: requirement, met: met, line: line)
    }

    private func who(_ shape: ScaleOutChecklist.Shape) -> String {
        switch shape {
        case .single: "one instance"
        case .workers(let count): "UVICORN_WORKERS=\(count)"
        case .replicas(let why): "replicas (\(why))"
        }
    }

    private func check(_ requirement: ScaleOutChecklist.Requirement, who: String) -> (Bool, String) {
        switch requirement {
        case .secretKey:
            // env.py line 770: WEBUI_SECRET_KEY, else WEBUI_JWT_SECRET_KEY; start.sh reads WEBUI_SECRET_KEY_FILE.
            // Without any, this program keeps one in DATA_DIR: the same for every replica only when it is shared.
            return (keyGiven || sharedData != nil, "\(who) without WEBUI_SECRET_KEY (or WEBUI_SECRET_KEY_FILE) and without a shared DATA_DIR: each replica keeps a key of its own, so a login signed by one is refused by the others (users are logged out as requests move); set the same WEBUI_SECRET_KEY everywhere")
        case .database:
            return (!sqlite, "\(who) with SQLite (DATABASE_URL): SQLite takes one writer at a time and lives in one container's DATA_DIR (\"database is locked\", or replicas that each see their own users and chats); use PostgreSQL (DATABASE_URL)")
        case .websockets:
            // env.py lines 473 and 476: ENABLE_WEBSOCKET_SUPPORT (default true), WEBSOCKET_MANAGER (default '').
            let off = value("ENABLE_WEBSOCKET_SUPPORT").lowercased() == "false"
            return (off || value("WEBSOCKET_MANAGER") == "redis", "\(who) without WEBSOCKET_MANAGER=redis: each process keeps its own WebSocket sessions, so what one sends misses the clients of the others (streamed answers stop arriving); set WEBSOCKET_MANAGER=redis (and WEBSOCKET_REDIS_URL)")
        case .files:
            // config.py line 156: STORAGE_PROVIDER (default local) keeps uploads in DATA_DIR/uploads (line 180).
            let provider = environment["STORAGE_PROVIDER"] ?? "local"
            return (provider != "local" || sharedData != nil, "\(who) with uploads in each container's DATA_DIR/uploads (STORAGE_PROVIDER=\(provider)): a file uploaded through one replica is missing on the others and lost at every update; mount DATA_DIR on a shared file system (nfs, cifs, ceph, glusterfs), set MAI_ENTRYPOINT_SHARED_DATA=true when it is one, or set STORAGE_PROVIDER (s3, gcs, azure)")
        case .vectors:
            let (met, store) = vectorsInAServer()
            return (met, "\(who) with \(store): the vectors live in each container's DATA_DIR/vector_db, so a document embedded through one process is not found by RAG on another, and concurrent writers crash it; run a vector server (CHROMA_HTTP_HOST for Chroma, or pgvector, qdrant, …)")
        }
    }

    /// config.py line 509: VECTOR_DB, default pgvector under USE_SLIM_DOCKER (env.py line 45), else chroma;
    /// Chroma is a client of a server only with CHROMA_HTTP_HOST (line 519), Milvus only with an http(s)
    /// MILVUS_URI (line 603: its default is a file in DATA_DIR), Qdrant only with QDRANT_URI (line 619).
    private func vectorsInAServer() -> (Bool, String) {
        let slim = value("USE_SLIM_DOCKER").lowercased() == "true"
        let store = environment["VECTOR_DB"] ?? (slim ? "pgvector" : "chroma")
        switch store {
        case "chroma": return (!value("CHROMA_HTTP_HOST").isEmpty, "VECTOR_DB=chroma embedded (no CHROMA_HTTP_HOST)")
        case "milvus":
            let uri = value("MILVUS_URI").lowercased()
            return (uri.hasPrefix("http://") || uri.hasPrefix("https://"), "VECTOR_DB=milvus on a local file (MILVUS_URI)")
        case "qdrant": return (!value("QDRANT_URI").isEmpty, "VECTOR_DB=qdrant without QDRANT_URI")
        default: return (true, "VECTOR_DB=\(store)")
        }
    }
}

/// The mounts of /proc/self/mountinfo (proc(5)): field 5 is the mount point (octal escapes such as `\040` for
/// a space), and the file system type follows the ` - ` separator.
struct MountTable {
    struct Mount: Equatable {
        let point: String
        let type: String

        /// File systems another machine can share (fuse covers glusterfs, sshfs, s3fs … mounted through FUSE).
        var isNetworkFileSystem: Bool {
            ["nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "9p", "fuse"].contains(type) || type.hasPrefix("fuse.")
        }
    }

    let mounts: [Mount]

    init(_ text: String) {
        mounts = text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 5, let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count else { return nil }
            return Mount(point: Self.unescape(String(fields[4])), type: String(fields[dash + 1]))
        }
    }

    /// The mount that holds the path: the longest mount point it lies under (the last such mount wins, as the
    /// kernel stacks later mounts over earlier ones).
    func mount(containing path: String) -> Mount? {
        let under = mounts.filter { path == $0.point || $0.point == "/" || path.hasPrefix($0.point + "/") }
        guard let longest = under.map(\.point.count).max() else { return nil }
        return under.last { $0.point.count == longest }
    }

    private static func unescape(_ field: String) -> String {
        var bytes: [UInt8] = []
        var input = Array(field.utf8)[...]
        while let byte = input.popFirst() {
            if byte == UInt8(ascii: "\\"), input.count >= 3, let value = UInt8(String(decoding: input.prefix(3), as: UTF8.self), radix: 8) {
                bytes.append(value)
                input = input.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension SecretKeySource {
    /// Given to every replica alike (a variable or a file, e.g. a Docker secret), not kept in DATA_DIR.
    var isGiven: Bool {
        if case .dataDirectory = self { return false }
        return true
    }
}

/// /proc/self/mountinfo, or nothing when it cannot be read (then no file system counts as shared).
public func readMountInfo() -> String {
    (try? readFile("/proc/self/mountinfo", limit: 4 << 20)).map { String(decoding: $0, as: UTF8.self) } ?? ""
}
