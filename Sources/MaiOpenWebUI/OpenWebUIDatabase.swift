import Glibc
import MaiRedaction
import MaiSQL
import MaiSystem

/// The database Open WebUI uses: its DATABASE_URL and DATABASE_SCHEMA, computed from the environment exactly as
/// `open_webui/env.py` of Open WebUI 0.12.4 computes them (line numbers below are that file's). The usage tables
/// must land in this database, so nothing here is "improved": an empty DATABASE_URL stays empty, as it does
/// there, and is refused later with a line saying why.
public struct OpenWebUIDatabase: Equatable, Sendable {
    /// The URL as env.py leaves it; it may hold a password, so only `maskedURL` is ever shown.
    public let url: String
    /// DATABASE_SCHEMA when set and not empty: Open WebUI's migrations use it only when it is truthy
    /// (`if DATABASE_SCHEMA and … == 'postgresql'`, migrations/env.py line 78), and SQLAlchemy qualifies no
    /// table with an empty schema.
    public let schema: String?
    /// The DATABASE_* parts when the URL was built from them.
    let parts: Parts?

    /// DATABASE_USER, DATABASE_PASSWORD (each possibly empty), DATABASE_HOST, DATABASE_PORT, DATABASE_NAME.
    struct Parts: Equatable, Sendable {
        let user: String
        let password: String
        let host: String
        let port: String
        let name: String
    }

    /// The image's backend folder: env.py's BACKEND_DIR, the parent of the `open_webui` package (line 32).
    public static let backendDirectory = "/app/backend"

    /// `workingDirectory` is the one pathlib's `resolve()` uses; nil for this process's. `dataDirectory`: DATA_DIR
    /// when the caller has resolved it already (the main run does, once: every link on its path is a readlink).
    public static func resolve(_ environment: [String: String], workingDirectory: String? = nil,
                               dataDirectory resolved: String? = nil) -> OpenWebUIDatabase {
        let dataDirectory = resolved ?? dataDirectory(environment, workingDirectory: workingDirectory ?? currentDirectory())
        // Line 271: DATABASE_URL = os.getenv('DATABASE_URL', f'sqlite:///{DATA_DIR}/webui.db'); set but empty
        // stays empty.
        var url = environment["DATABASE_URL"] ?? "sqlite:///\(dataDirectory)/webui.db"
        let parts = parts(environment)
        if let parts, let type = environment["DATABASE_TYPE"] {
            // Lines 291–294: all parts set (not empty) → the built URL wins over DATABASE_URL.
            let credentials = parts.user + (parts.password.isEmpty ? "" : ":" + parts.password)
            url = "\(type)://\(credentials)@\(parts.host):\(parts.port)/\(parts.name)"
        } else if environment["DATABASE_TYPE"] == "sqlite+sqlcipher" && nonEmpty(environment["DATABASE_URL"]) == nil {
            // Lines 295–297.
            url = "sqlite+sqlcipher:///\(dataDirectory)/webui.db"
        }
        // Lines 300–301: every occurrence, by code points as str.replace does.
        url = url.replacingEvery("postgres://", with: "postgresql://")
        // Line 303, and the truthiness test of migrations/env.py line 78.
        return OpenWebUIDatabase(url: url, schema: nonEmpty(environment["DATABASE_SCHEMA"]), parts: parts)
    }

    /// The URL with its password masked (`user:***@`), as status and the log lines show it.
    public var maskedURL: String {
        // Every reading of the password is struck even where the URL syntax would not show where it is: one from
        // the parts, one in the query (`?password=`, `?sslpassword=`), one holding a blank.
        redacting(maskURLPasswords(in: url), secrets: (parts.map { [$0.password] } ?? []) + urlPasswordReadings(url))
    }

    /// What `mai-entrypoint status` prints first: `database: URL` and, when set, `database_schema: NAME`. The rest
    /// of each line is the value; it is JSON-quoted only when it could not be read back as written (empty, a
    /// control character, a leading or trailing space or quote).
    public var lines: [String] {
        fields.map { "\($0.name): " + lineValue($0.value) }
    }

    /// The same as name and value, for `--log-format json`.
    public var fields: [(name: String, value: String)] {
        [("database", maskedURL)] + (schema.map { [("database_schema", $0)] } ?? [])
    }

    /// Lines 273–294: the credentials are `USER`, `USER:PASSWORD` or `:PASSWORD` (each only when not empty), and
    /// type, credentials, host, port and name must all be non-empty (`all(DB_VARS.values())`).
    /// The variables Open WebUI builds its URL from (they win over DATABASE_URL when all are set).
    public static let partVariables: Set<String> = [
        "DATABASE_TYPE", "DATABASE_USER", "DATABASE_PASSWORD", "DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME",
    ]

    private static func parts(_ environment: [String: String]) -> Parts? {
        let user = environment["DATABASE_USER"] ?? "", password = environment["DATABASE_PASSWORD"] ?? ""
        guard nonEmpty(environment["DATABASE_TYPE"]) != nil, !(user.isEmpty && password.isEmpty),
              let host = nonEmpty(environment["DATABASE_HOST"]), let port = nonEmpty(environment["DATABASE_PORT"]),
              let name = nonEmpty(environment["DATABASE_NAME"]) else { return nil }
        return Parts(user: user, password: password, host: host, port: port, name: name)
    }

    /// Line 228: `Path(os.getenv('DATA_DIR', BACKEND_DIR / 'data')).resolve()`; with FROM_INIT_PY (set by
    /// `open-webui serve`, line 141) line 250 replaces it with `Path(os.getenv('DATA_DIR', OPEN_WEBUI_DIR /
    /// 'data'))`, not resolved.
    static func dataDirectory(_ environment: [String: String], workingDirectory: String) -> String {
        if environment["FROM_INIT_PY"]?.lowercased() == "true" {
            return PythonPath.normalized(environment["DATA_DIR"] ?? backendDirectory + "/open_webui/data")
        }
        return PythonPath.resolved(environment["DATA_DIR"] ?? backendDirectory + "/data", workingDirectory: workingDirectory)
    }

    /// DATA_DIR as Open WebUI computes it, against this process's working directory (the server's).
    public static func dataDirectory(_ environment: [String: String]) -> String {
        dataDirectory(environment, workingDirectory: currentDirectory())
    }

    private static func nonEmpty(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }

    public static func currentDirectory() -> String {
        guard let buffer = getcwd(nil, 0) else { return "/" }
        defer { free(buffer) }
        return String(cString: buffer)
    }
}

/// The value as written, or as a JSON string when that would not read back the same.
private func lineValue(_ text: String) -> String {
    let needsQuotes = text.isEmpty || text.first == " " || text.last == " " || text.first == "\"" || text.last == "\""
        || text.unicodeScalars.contains(where: isControlCharacter)
    return needsQuotes ? jsonString(text) : text
}

/// Python's pathlib, as far as env.py uses it on POSIX.
enum PythonPath {
    /// `str(Path(text))`: empty and `.` components dropped, `..` kept, a trailing slash dropped, `""` → `.`,
    /// exactly two leading slashes kept (POSIX allows them a meaning).
    static func normalized(_ text: String) -> String {
        let parts = text.split(separator: "/").filter { $0 != "." }
        let root = text.hasPrefix("//") && !text.hasPrefix("///") ? "//" : text.hasPrefix("/") ? "/" : ""
        let joined = parts.joined(separator: "/")
        return root.isEmpty && joined.isEmpty ? "." : root + joined
    }

    /// `str(Path(text).resolve())` (strict=False, posixpath.realpath): absolute against `workingDirectory`,
    /// symbolic links followed as far as the path exists, `..` applied after each link is followed.
    static func resolved(_ text: String, workingDirectory: String) -> String {
        var pending = Array((text.hasPrefix("/") ? text : workingDirectory + "/" + text).split(separator: "/").reversed())
        var components: [Substring] = []
        var linksFollowed = 0
        while let name = pending.popLast() {
            if name == "." { continue }
            if name == ".." {
                _ = components.popLast()
                continue
            }
            let candidate = "/" + (components + [name]).joined(separator: "/")
            // realpath gives up on a loop; 40 is Linux's own limit on links in one lookup.
            guard linksFollowed < 40, let target = symbolicLinkTarget(candidate) else {
                components.append(name)
                continue
            }
            linksFollowed += 1
            if target.hasPrefix("/") { components = [] }
            pending.append(contentsOf: target.split(separator: "/").reversed())
        }
        return "/" + components.joined(separator: "/")
    }
}
