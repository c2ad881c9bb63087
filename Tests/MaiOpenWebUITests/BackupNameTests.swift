import MaiOpenWebUI
import MaiSQL
import MaiSystem
import MaiUsageTracking
import Testing

@Suite("Backup names and retention")
struct BackupNameTests {
    static func name(_ text: String) -> BackupName {
        guard let name = BackupName(fileName: text) else { fatalError("not a backup name: \(text)") }
        return name
    }

    @Test("the name holds the UTC time to the millisecond and the revision, and reads back")
    func roundTrip() {
        let time = WallClockTime(year: 2026, month: 1, day: 2, hour: 3, minute: 4, second: 5, millisecond: 6)
        let made = BackupName(time: time, revision: "ca81bd47c050")
        #expect(made.fileName == "webui-20260102T030405.006Z-ca81bd47c050.db")
        #expect(made.readableTime == "2026-01-02T03:04:05.006Z")
        #expect(BackupName(fileName: made.fileName) == made)
    }

    @Test("a revision can never make a path: anything but letters, digits and _ becomes _")
    func sanitized() {
        let time = WallClockTime(year: 2026, month: 1, day: 2, hour: 3, minute: 4, second: 5, millisecond: 6)
        #expect(BackupName(time: time, revision: "../../etc/x y").revision == "______etc_x_y")
        #expect(BackupName(time: time, revision: "é").revision == "_")
    }

    @Test("only our own pattern is a backup: everything else in the folder is the operator's")
    func foreignNames() {
        for other in ["webui.db", "webui-20260102T030405.006Z-.db", "webui-20260102T030405Z-abc.db",
                      "webui-20260102T030405.006Z-a/b.db", "webui-20260102T030405.006Z-abc.db.partial",
                      ".webui-20260102T030405.006Z-abc.db.partial", "webui-20260102T030405.006Z-abc.sqlite",
                      "mine-20260102T030405.006Z-abc.db", "webui-2026010XT030405.006Z-abc.db", "webui-20260102T030405.006Z-a-b.db"] {
            #expect(BackupName(fileName: other) == nil, "\(other)")
        }
    }

    @Test("retention keeps the newest N of distinct revisions, whatever order the folder lists them in")
    func keepsNewest() {
        let names = ["webui-20260105T000000.000Z-e.db", "webui-20260101T000000.000Z-a.db", "webui-20260103T000000.000Z-c.db",
                     "webui-20260104T000000.000Z-d.db", "webui-20260102T000000.000Z-b.db"].map(Self.name)
        #expect(BackupName.beyondRetention(names, keep: 3).map(\.revision) == ["b", "a"])
        #expect(BackupName.beyondRetention(names, keep: 1).map(\.revision) == ["d", "c", "b", "a"])
        #expect(BackupName.beyondRetention(names, keep: 5).isEmpty)
        #expect(BackupName.beyondRetention(names, keep: 9).isEmpty)
    }

    @Test("a migration failing at every restart: the first backup at that revision is never pushed out")
    func crashLoop() {
        let names = (1...6).map { Self.name("webui-2026010\($0)T000000.000Z-x.db") } + [Self.name("webui-20251231T000000.000Z-w.db")]
        let deleted = BackupName.beyondRetention(names, keep: 3)
        #expect(deleted.map(\.time) == ["20260103T000000.000Z", "20260102T000000.000Z", "20251231T000000.000Z"])
    }
}
