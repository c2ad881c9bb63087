import Glibc
import MaiRedaction
import MaiSQL
import MaiSystem

/// The revision graph of Open WebUI's Alembic migrations, read from the text of its scripts
/// (`open_webui/migrations/versions/*.py`) without importing Python: each script assigns `revision` and
/// `down_revision` at its top level (`revision = '…'`, `revision: str = "…"`, `down_revision = None` for the
/// first, a tuple for a merge). The head is the revision no script names as its down revision; it is what
/// Open WebUI migrates to at start (`command.upgrade(cfg, 'head')`, open_webui/config.py).
public struct MigrationScripts: Equatable, Sendable {
    /// The `versions` folder the scripts were read from.
    public let directory: String
    /// Every revision and the revisions it follows (none for the first, two or more for a merge).
    public let revisions: [String: [String]]
    /// Scripts that name no revision readably: they are left out of the graph, and said in a warning.
    public let unreadable: [String]
    /// The revision whose script creates `client_organizations`: the mAI app's own migration, which makes the
    /// usage tables (plain Open WebUI has none).
    public var usageTablesRevision: String? = nil

    /// The revisions nothing follows; one, unless the scripts branch without a merge.
    public var heads: Set<String> {
        let named = Set(revisions.values.joined())
        return Set(revisions.keys.filter { !named.contains($0) })
    }

    public func knows(_ revision: String) -> Bool { revisions[revision] != nil }

    /// Where a database at these revisions stands against the scripts (`nil`: no alembic_version table).
    public func state(of current: [String]?) -> MigrationState {
        guard let current, !current.isEmpty else { return .fresh }
        let unknown = current.filter { !knows($0) }
        if !unknown.isEmpty { return .unknown(unknown) }
        return Set(current) == heads ? .upToDate : .pending(from: current)
    }

    /// The app's migration that creates the usage tables when a database at `current` has not run it yet (nil:
    /// no alembic_version, a fresh database, which gets every migration); nil when it has, when no script
    /// creates them, or when `current` names a revision no script knows (the scripts cannot tell; Open WebUI
    /// itself will refuse to migrate such a database).
    public func usageTablesPending(_ current: [String]?) -> String? {
        guard let revision = usageTablesRevision else { return nil }
        guard let current, !current.isEmpty else { return revision }
        guard current.allSatisfy(knows) else { return nil }
        return reached(revision, from: current) ? nil : revision
    }

    /// Whether `revision` is one of `current` or one they follow (down revisions, followed to the first).
    func reached(_ revision: String, from current: [String]) -> Bool {
        var seen = Set<String>(), next = current
        while let candidate = next.popLast() {
            if candidate == revision { return true }
            guard seen.insert(candidate).inserted else { continue }
            next += revisions[candidate] ?? []
        }
        return false
    }

    public static func parse(_ files: [(name: String, text: String)], directory: String) -> MigrationScripts {
        var revisions: [String: [String]] = [:]
        var unreadable: [String] = []
        var usageTablesRevision: String?
        for file in files.sorted(by: { $0.name < $1.name }) {
            guard let script = ScriptRevision(file.text) else {
                unreadable.append(file.name)
                continue
            }
            revisions[script.revision] = script.downRevisions
            if ScriptRevision.createsTable("client_organizations", file.text) { usageTablesRevision = script.revision }
        }
        var scripts = MigrationScripts(directory: directory, revisions: revisions, unreadable: unreadable)
        scripts.usageTablesRevision = usageTablesRevision
        return scripts
    }

    /// Reads every `*.py` of the folder (`__init__.py` and hidden files aside); a script over 1 MiB is unreadable.
    public static func read(versionsDirectory: String) throws(MigrationScriptsError) -> MigrationScripts {
        guard let directory = opendir(versionsDirectory) else {
            throw MigrationScriptsError(directory: versionsDirectory, reason: String(cString: strerror(errno)))
        }
        defer { closedir(directory) }
        var files: [(name: String, text: String)] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.hasSuffix(".py"), !name.hasPrefix("."), name != "__init__.py" else { continue }
            let text = (try? readFile(versionsDirectory + "/" + name, limit: 1 << 20)).map { String(decoding: $0, as: UTF8.self) }
            files.append((name, text ?? ""))
        }
        return parse(files, directory: versionsDirectory)
    }

    /// The `versions` folder under the folder that holds `open_webui/`: `given` (`--openwebui-dir`), else the
    /// server's working directory (the image's WORKDIR, /app/backend) and then /app/backend. Returns the
    /// folders tried when none has it.
    public static func locate(given: String?, workingDirectory: String) -> Result<String, LocateFailure> {
        let candidates = given.map { [$0] } ?? [workingDirectory, OpenWebUIDatabase.backendDirectory]
        for base in candidates {
            let versions = (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/open_webui/migrations/versions"
            var info = stat()
            if stat(versions, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR { return .success(versions) }
        }
        return .failure(LocateFailure(tried: candidates.map { $0 + "/open_webui/migrations/versions" }))
    }

    public struct LocateFailure: Error, Sendable {
        public let tried: [String]
    }
}

/// Where a database stands against the installed Open WebUI's scripts.
public enum MigrationState: Equatable, Sendable {
    /// No alembic_version: Open WebUI creates everything; nothing to keep.
    case fresh
    case upToDate
    /// Open WebUI will migrate from these revisions at start.
    case pending(from: [String])
    /// Revisions no script names: a database of another (newer) Open WebUI, or a damaged table.
    case unknown([String])
}

public struct MigrationScriptsError: Error, Sendable, CustomStringConvertible {
    public let directory: String
    public let reason: String
    public var description: String { "cannot read Open WebUI's migration scripts in \(directory): \(reason)" }
}

/// The `revision` and `down_revision` assignments of one script.
struct ScriptRevision: Equatable {
    let revision: String
    let downRevisions: [String]

    /// nil when the script assigns no revision, or a down revision that is not None, a string or a tuple or
    /// list of strings.
    init?(_ text: String) {
        var revision: String?
        var down: [String]?
        for statement in Self.topLevelAssignments(text) {
            switch statement.name {
            case "revision": revision = Self.strings(statement.value)?.first
            case "down_revision": down = Self.strings(statement.value)
            default: continue
            }
        }
        guard let revision, !revision.isEmpty, let down else { return nil }
        self.revision = revision
        self.downRevisions = down
    }

    /// Whether the script calls `create_table` with this table name first (`op.create_table(\n 'name', …`),
    /// quoted either way, whatever the spacing.
    static func createsTable(_ table: String, _ text: String) -> Bool {
        let compact = String(text.unicodeScalars.filter { !$0.properties.isWhitespace })
        return compact.contains("create_table('\(table)'") || compact.contains("create_table(\"\(table)\"")
    }

    /// `name[: annotation] = value` at the start of a line; a value that opens a bracket runs to its close.
    static func topLevelAssignments(_ text: String) -> [(name: String, value: String)] {
        var result: [(name: String, value: String)] = []
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
        while let line = lines.popFirst() {
            guard let first = line.first, first.isLetter || first == "_", let equals = line.firstIndex(of: "=") else { continue }
            let target = line[..<equals]
            let name = String(target.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
            let rest = target.dropFirst(name.count).drop { $0 == " " }
            guard rest.isEmpty || rest.first == ":" else { continue }
            var value = String(line[line.index(after: equals)...])
            while value.filter({ $0 == "(" || $0 == "[" }).count > value.filter({ $0 == ")" || $0 == "]" }).count,
                  let next = lines.popFirst() {
                value += " " + next
            }
            result.append((name, value))
        }
        return result
    }

    /// `None` → [], `'a'` → [a], `('a', "b")` or `['a', 'b']` → [a, b]; a trailing comment is ignored.
    static func strings(_ value: String) -> [String]? {
        var text = Substring(value).drop { $0 == " " || $0 == "\t" }
        if text.hasPrefix("None") { return [] }
        var found: [String] = []
        let bracketed = text.first == "(" || text.first == "["
        if bracketed { text = text.dropFirst() }
        while true {
            text = text.drop { $0 == " " || $0 == "\t" || $0 == "," }
            guard let quote = text.first, quote == "'" || quote == "\"" else { break }
            let body = text.dropFirst()
            guard let end = body.firstIndex(of: quote) else { return nil }
            found.append(String(body[..<end]))
            text = body[body.index(after: end)...]
            if !bracketed { break }
        }
        if bracketed && !(text.first == ")" || text.first == "]") { return nil }
        return found.isEmpty && !bracketed ? nil : found
    }
}
