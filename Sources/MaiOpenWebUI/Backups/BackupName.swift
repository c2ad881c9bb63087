import MaiSQL
import MaiSystem

/// `webui-<UTC time>-<revision>.db`, the only file names the backup folder's retention ever deletes. The time
/// is ISO 8601's basic form with milliseconds (`20261127T181500.123Z`), so names sort by time; the revision is
/// the Alembic revision the database had when it was copied (characters other than letters, digits and `_`
/// become `_`, so a name can never leave the folder).
public struct BackupName: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let time: String
    public let revision: String

    public init(time: WallClockTime, revision: String) {
        self.time = Self.basicTime(time)
        self.revision = String(revision.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") ? $0 : "_" })
    }

    /// nil for any file name this program did not make.
    public init?(fileName: String) {
        guard fileName.hasPrefix("webui-"), fileName.hasSuffix(".db") else { return nil }
        let middle = fileName.dropFirst(6).dropLast(3)
        guard let dash = middle.firstIndex(of: "-") else { return nil }
        let time = String(middle[..<dash]), revision = String(middle[middle.index(after: dash)...])
        guard Self.isBasicTime(time), !revision.isEmpty,
              revision.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else { return nil }
        self.time = time
        self.revision = revision
    }

    public var fileName: String { "webui-\(time)-\(revision).db" }
    public var description: String { fileName }

    /// The time as `2026-11-27T18:15:00.123Z`.
    public var readableTime: String {
        let t = Array(time)
        return "\(String(t[0..<4]))-\(String(t[4..<6]))-\(String(t[6..<8]))T\(String(t[9..<11])):\(String(t[11..<13])):\(String(t[13..<15]))\(String(t[15...]))"
    }

    public static func < (lhs: BackupName, rhs: BackupName) -> Bool {
        (lhs.time, lhs.revision) < (rhs.time, rhs.revision)
    }

    /// Which backups a retention of `keep` deletes: all but the `keep` newest, except that for each revision
    /// among those the first backup at that revision is kept too. Backups repeat a revision when a migration
    /// fails at every start (a restart policy retries it within seconds); each such backup holds what the
    /// failed attempt left, and only the first was made before any attempt: it must not be pushed out.
    public static func beyondRetention(_ names: [BackupName], keep: Int) -> [BackupName] {
        let newestFirst = names.sorted(by: >)
        let keptRevisions = Set(newestFirst.prefix(max(keep, 0)).map(\.revision))
        let firstOfRevision = Set(keptRevisions.compactMap { revision in newestFirst.last { $0.revision == revision } })
        return newestFirst.dropFirst(max(keep, 0)).filter { !firstOfRevision.contains($0) }
    }

    static func basicTime(_ time: WallClockTime) -> String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(time.year, 4))\(pad(time.month, 2))\(pad(time.day, 2))T\(pad(time.hour, 2))\(pad(time.minute, 2))\(pad(time.second, 2)).\(pad(time.millisecond, 3))Z"
    }

    /// `YYYYMMDDTHHMMSS.mmmZ`
    static func isBasicTime(_ text: String) -> Bool {
        let characters = Array(text)
        guard characters.count == 20, characters[8] == "T", characters[15] == ".", characters[19] == "Z" else { return false }
        return characters.enumerated().allSatisfy { index, character in
            [8, 15, 19].contains(index) || ("0"..."9").contains(character)
        }
    }
}
