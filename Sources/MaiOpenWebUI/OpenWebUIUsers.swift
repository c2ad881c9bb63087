import MaiSQL
/// How many users Open WebUI's `user` table holds: what tells a server that has been used from one that would
/// start empty (a new PostgreSQL database while every account is still in webui.db).
public enum OpenWebUIUsers {
    /// nil when the database has no Open WebUI tables (its migrations have not run there).
    public static func count(in connection: some SQLConnection) throws(DatabaseError) -> Int? {
        guard try connection.tableExists("user") else { return nil }
        return Int(try connection.scalar("SELECT COUNT(*) FROM \(quotedIdentifier("user"))").integer ?? 0)
    }

    /// The users of a SQLite file, read-only; nil when there is no such file or it holds no Open WebUI tables.
    public static func count(sqlitePath path: String) -> Int? {
        guard let connection = try? SQLiteConnection(path: path, mode: .readOnly, busyTimeout: .seconds(2), stop: .never()) else { return nil }
        return (try? count(in: connection)) ?? nil
    }
}
