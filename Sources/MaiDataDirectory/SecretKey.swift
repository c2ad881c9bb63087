import Glibc
import MaiSystem

/// Where the server's WEBUI_SECRET_KEY comes from. Open WebUI signs its session tokens with it; upstream's
/// start.sh generates one when none is given, into its working folder, which a recreated container does not
/// keep: everyone is logged out by every `docker compose up` of a new image. So the key is kept in DATA_DIR,
/// the folder that is a volume.
public enum SecretKeySource: Equatable, Sendable {
    /// WEBUI_SECRET_KEY or WEBUI_JWT_SECRET_KEY is set and not empty (start.sh's test: both empty means none).
    case environment(variable: String)
    /// WEBUI_SECRET_KEY_FILE names a file that exists: start.sh reads its key from there.
    case keyFile(path: String)
    /// None given: the key kept in DATA_DIR, generated on the first start.
    case dataDirectory(path: String)

    public static let fileName = ".webui_secret_key"

    /// `exists` is asked about WEBUI_SECRET_KEY_FILE's path only (relative to the working folder, which is the
    /// image's, start.sh's own).
    public static func decide(_ environment: [String: String], dataDirectory: String,
                              exists: (String) -> Bool) -> SecretKeySource {
        for variable in ["WEBUI_SECRET_KEY", "WEBUI_JWT_SECRET_KEY"] where !(environment[variable] ?? "").isEmpty {
            return .environment(variable: variable)
        }
        if let path = environment["WEBUI_SECRET_KEY_FILE"], !path.isEmpty, exists(path) { return .keyFile(path: path) }
        return .dataDirectory(path: dataDirectory + "/" + fileName)
    }
}

/// The key file in DATA_DIR: read when it exists, else written once, atomically, never replaced.
public enum SecretKeyFile {
    public enum Outcome: String, Sendable {
        case generated, reused
    }

    /// The key, whether it was made now, and the permission bits of a reused file that others than its owner
    /// and group may read or write (0644): the server starts, with a warning.
    public struct Kept: Sendable {
        public let key: String
        public let outcome: Outcome
        public let exposedMode: mode_t?
    }

    /// Bytes of randomness in a generated key; it is written (and passed on) as 64 hexadecimal digits.
    static let keyBytes = 32
    /// A key is a line of text; anything larger is not one.
    static let sizeLimit = 64 << 10

    /// The key in `directory`'s key file, made first if there is none: 32 random bytes (getrandom) as hex, in a
    /// file of mode 0600 owned by `owner` (the server's user; nil: this process's), written to a temporary
    /// name in the same folder, fsynced, given its name only if that name is still free, and the folder
    /// fsynced, so that a crash leaves either no key file or a whole one. A key file that exists is only ever
    /// read, and never through a symbolic link: the folder may be writable by the server's user, and this
    /// process is root.
    public static func loadOrCreate(directory: String, owner: Credentials?) throws(SecretKeyError) -> Kept {
        let path = directory + "/" + SecretKeySource.fileName
        let folder = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else { throw SecretKeyError(path: path, reason: "its folder: \(String(cString: strerror(errno)))") }
        defer { close(folder) }
        // A rival writer (another container on the same volume) may take the name between the read and the
        // write: the write then gives way, and its key is read on the next round.
        for _ in 0..<3 {
            if let key = try read(folder, path: path) { return Kept(key: key, outcome: .reused, exposedMode: exposedMode(folder)) }
            if let key = try create(folder, path: path, owner: owner) { return Kept(key: key, outcome: .generated, exposedMode: nil) }
        }
        throw SecretKeyError(path: path, reason: "it keeps appearing and disappearing")
    }

    private static func read(_ folder: Int32, path: String) throws(SecretKeyError) -> String? {
        let bytes: [UInt8]
        do {
            bytes = try readFile(SecretKeySource.fileName, limit: sizeLimit, directory: folder, followLinks: false)
        } catch .notFound {
            return nil
        } catch {
            throw SecretKeyError(path: path, reason: error.reason)
        }
        var text = bytes[...]
        if text.last == UInt8(ascii: "\n") { text = text.dropLast() }
        if text.last == UInt8(ascii: "\r") { text = text.dropLast() }
        guard !text.isEmpty else { throw SecretKeyError(path: path, reason: "it is empty") }
        guard !text.contains(0), let key = String(validating: text, as: UTF8.self) else {
            throw SecretKeyError(path: path, reason: "it is not a line of text")
        }
        // Open WebUI would sign with the first line only, or with blanks: a damaged file, not a key.
        guard !text.contains(UInt8(ascii: "\n")) && !text.contains(UInt8(ascii: "\r")) else {
            throw SecretKeyError(path: path, reason: "it holds more than one line")
        }
        guard text.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else {
            throw SecretKeyError(path: path, reason: "it holds only blanks")
        }
        return key
    }

    /// The key file's permission bits when others may read or write it; nil when only owner and group may.
    private static func exposedMode(_ folder: Int32) -> mode_t? {
        var info = stat()
        guard fstatat(folder, SecretKeySource.fileName, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        let mode = info.st_mode & 0o7777
        return mode & 0o007 != 0 ? mode : nil
    }

    /// nil when another writer took the name first.
    private static func create(_ folder: Int32, path: String, owner: Credentials?) throws(SecretKeyError) -> String? {
        let key: String, temporary: String
        do {
            key = hexadecimal(try randomBytes(keyBytes))
            temporary = SecretKeySource.fileName + ".tmp-" + hexadecimal(try randomBytes(6))
        } catch {
            throw SecretKeyError(path: path, reason: error.description)
        }
        let fd = openat(folder, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SecretKeyError(path: path, reason: "creating \(temporary): \(String(cString: strerror(errno)))") }
        var named = false
        defer { if !named { _ = unlinkat(folder, temporary, 0) } }
        do throws(SystemError) {
            defer { close(fd) }
            // The umask may have taken bits off 0600; an owner other than root needs it to be its own.
            if fchmod(fd, 0o600) != 0 { throw SystemError("fchmod") }
            if let owner, fchown(fd, owner.uid, owner.gid) != 0 { throw SystemError("fchown") }
            try writeAll(fd, key + "\n")
            if fsync(fd) != 0 { throw SystemError("fsync") }
        } catch {
            throw SecretKeyError(path: path, reason: "writing \(temporary): \(error.description)")
        }
        do {
            try renameWithoutReplacing(in: folder, temporary, to: SecretKeySource.fileName)
        } catch where error.errno == EEXIST {
            return nil
        } catch {
            throw SecretKeyError(path: path, reason: error.description)
        }
        named = true
        if fsync(folder) != 0 { throw SecretKeyError(path: path, reason: "fsync of its folder: \(String(cString: strerror(errno)))") }
        return key
    }
}

public struct SecretKeyError: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String

    public var description: String {
        "cannot use the secret key file \(path): \(reason) (set WEBUI_SECRET_KEY, or move the file away to have a new key generated, which logs everyone out)"
    }
}
